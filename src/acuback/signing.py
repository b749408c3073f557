"""Signatures are written by the signing services, and by nothing else.

A signed record says that a named person signed it after the safety gate saw it. A row
whose status or signature fields were set any other way (the Django admin, a shell, a
stray ``update()``) would say so falsely: a draft once became a "signed" note that the
named practitioner never signed and the gate never saw. The models that are signed
declare their signature fields; outside ``signing()`` a write that sets any of them is
refused, whichever way it is made: ``save()``, ``QuerySet.update()``, ``bulk_update()``,
``bulk_create()`` and ``acuback.sql``. (The database's triggers keep a signed row from
changing afterwards; this keeps a row from becoming signed.)
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.db import models

_SIGNING = contextvars.ContextVar("acuback_signing", default=False)


class SignatureWriteRefused(PermissionError):
    """A signature field written outside a signing service."""


@contextmanager
def signing() -> Iterator[None]:
    """Around a signing service's write (and the seeding of demo data, which signs as
    the demo's practitioners do)."""
    token = _SIGNING.set(True)
    try:
        yield
    finally:
        _SIGNING.reset(token)


def _guarded(model) -> dict[str, str]:
    """{field name or attname: field name} of the model's signature fields."""
    names = getattr(model, "SIGNATURE_FIELDS", ())
    guarded = {}
    for name in names:
        field = model._meta.get_field(name)
        guarded[name] = name
        guarded[field.attname] = name
    return guarded


def _refuse(model, names: Iterable[str]) -> None:
    raise SignatureWriteRefused(
        f"{model._meta.verbose_name}: {', '.join(sorted(set(names)))} can be written only by "
        f"signing it in acuback (the signing service), never directly.")


def check_fields(model, names: Iterable[str]) -> None:
    """Refuse a write of these fields of `model` when any is a signature field."""
    if _SIGNING.get():
        return
    guarded = _guarded(model)
    hit = [guarded[n] for n in names if n in guarded]
    if hit:
        _refuse(model, hit)


def check_new(model, instances: Iterable) -> None:
    """Refuse new rows that are signatures (consents, addenda) or that arrive signed."""
    if _SIGNING.get() or not getattr(model, "SIGNATURE_FIELDS", ()):
        return
    if getattr(model, "SIGNED_ON_CREATE", False):
        _refuse(model, model.SIGNATURE_FIELDS)
    for instance in instances:
        hit = [name for name in model.SIGNATURE_FIELDS
               if _value(instance, name) != model._meta.get_field(name).get_default()]
        if hit:
            _refuse(model, hit)


def check_save(instance) -> None:
    """Refuse saving `instance` when that would sign it or change its signature."""
    if _SIGNING.get() or not isinstance(instance, SignedModel):
        return
    if instance._state.adding:
        check_new(type(instance), [instance])
    else:
        changed = instance.changed_signature_fields()
        if changed:
            _refuse(type(instance), changed)


def _value(instance, name: str):
    return instance.__dict__.get(type(instance)._meta.get_field(name).attname)


class SignedQuerySet(models.QuerySet):
    def update(self, **kwargs):
        check_fields(self.model, kwargs)
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        check_fields(self.model, fields)
        return super().bulk_update(objs, fields, batch_size=batch_size)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        check_new(self.model, objs)
        return super().bulk_create(objs, *args, **kwargs)


class SignedModel(models.Model):
    """A model whose SIGNATURE_FIELDS only a signing service writes. With
    SIGNED_ON_CREATE, the row itself is the signature (nothing else may create one)."""

    SIGNATURE_FIELDS: tuple[str, ...] = ()
    SIGNED_ON_CREATE = False

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        check_save(self)
        super().save(*args, **kwargs)
        self._signature_as_loaded = self._signature_now()

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._signature_as_loaded = instance._signature_now()
        return instance

    def _signature_now(self) -> dict:
        """The signature fields as they are now, but for those not loaded (deferred)."""
        deferred = self.get_deferred_fields()
        return {name: _value(self, name) for name in self.SIGNATURE_FIELDS
                if self._meta.get_field(name).attname not in deferred}

    def changed_signature_fields(self) -> list[str]:
        loaded = dict(getattr(self, "_signature_as_loaded", {}))
        present = [n for n in self.SIGNATURE_FIELDS  # a deferred field is not written
                   if self._meta.get_field(n).attname in self.__dict__]
        unknown = [n for n in present if n not in loaded]
        if unknown:  # not loaded through the ORM, or deferred: the stored values decide
            attnames = {self._meta.get_field(n).attname: n for n in unknown}
            row = type(self)._base_manager.filter(pk=self.pk).values(*attnames).first() or {}
            loaded.update({attnames[a]: v for a, v in row.items()})
        return [name for name in present if _value(self, name) != loaded.get(name)]
