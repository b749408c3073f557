"""Writes for accounts: credentials, staff accounts and their roles, passwords and the
second factor, the clinic's own settings. Each is atomic and audited; each action on an
account asks policy.account_change_refusal first."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from acuback.audit.services import audit_record
from acuback.base_url import absolute_url
from acuback.client_address import client_ip

from . import policy
from .models import (
    STAFF_ROLES,
    Clinic,
    Credential,
    Membership,
    Practitioner,
    Role,
    StaffInvitation,
    User,
)


def credential_add(*, practitioner: Practitioner, data: dict, request: HttpRequest) -> Credential:
    with transaction.atomic():
        credential = Credential(practitioner=practitioner, **data)
        if credential.verified_on:
            credential.verified_by = request.user
        credential.full_clean()
        credential.save()
        audit_record(request=request, action="credential.add", clinic=practitioner.clinic_id,
                     target=credential, detail={"kind": credential.kind})
    return credential


# --- links that set a password ------------------------------------------------------------

def password_link(user: User) -> str:
    """A single-use link that lets `user` choose a password (Django's reset token: it stops
    working once the password changes, and after PASSWORD_RESET_TIMEOUT)."""
    path = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user)})
    return absolute_url(path)


def _staff_accounts_with_email(email: str):
    staff = Membership.objects.filter(role__in=STAFF_ROLES).values("user_id")
    return User.objects.filter(email__iexact=email.strip(), is_active=True, pk__in=staff)


def password_reset_request(*, email: str, request: HttpRequest) -> None:
    """Queue a password link for the staff account with this address. The request does the
    same work whether or not there is one (it only queues what was asked; the worker looks
    the address up and sends: password_link_send), so neither the answer nor the time it
    takes reveals who works here (issue #25)."""
    from .tasks import password_link_send as queued

    queued.enqueue(email=email.strip(), asked_from=client_ip(request))


def password_link_send(*, email: str, asked_from: str | None) -> int:
    """In the worker: e-mail a password link to each active staff account with this
    address, audited with the address the request came from; how many were sent."""
    sent = 0
    for user in _staff_accounts_with_email(email):
        send_mail(subject="acuback: choose a new password",
                  message=f"Someone (we hope you) asked to reset the password of the acuback "
                          f"account '{user.username}'. Open this link to choose a new one:\n"
                          f"{password_link(user)}\n\nIf you did not ask, ignore this e-mail: "
                          "your password stays as it is.",
                  from_email=settings.DEFAULT_FROM_EMAIL, recipient_list=[user.email])
        # No actor: whoever asked has not proved who they are; the account is the target.
        audit_record(request=None, action="auth.password.reset_request", target=user,
                     detail={"asked_from": asked_from})
        sent += 1
    return sent


def password_set(*, user: User, password: str, request: HttpRequest, how: str) -> None:
    """The owner chose a password (from a link, or by changing their own): any
    must-change flag is cleared and any login lockout lifted."""
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        audit_record(request=request, action=f"auth.password.{how}", actor=user, target=user)
    _axes_reset(user.username)


# --- staff accounts ---------------------------------------------------------------------------

class AccountError(Exception):
    """An account action refused for a reason the admin should read."""


def staff_invite(*, clinic: Clinic, email: str, username: str, first_name: str, last_name: str,
                 roles: list[str], request: HttpRequest) -> StaffInvitation:
    """Invite a colleague to the clinic with `roles`: the roles are given only when the
    person accepts, logged in (``staff_invitation_accept``). A new account is made with a
    link to choose its password; an existing staff account (someone who works at another
    clinic) is left unchanged and told. An address of an account that is not staff, or a
    username that is taken, makes an invitation nobody can accept (the address is told
    why). The inviting clinic gets the same answer in every case and sees only the
    invitation: the form does not reveal who has an account here (issue #25)."""
    policy.require(request.user, "clinic.manage", clinic)
    _check_roles(roles)
    email = email.strip()
    with transaction.atomic():
        existing = User.objects.filter(email__iexact=email).first()
        account, new = None, False
        if existing is not None:
            if _staff_accounts_with_email(email).filter(pk=existing.pk).exists():
                account = existing
        elif not User.objects.filter(username__iexact=username).exists():
            account = User(username=username, email=email, first_name=first_name,
                           last_name=last_name)
            account.set_unusable_password()
            account.full_clean(exclude=["password"])
            account.save()
            new = True
        invitation = StaffInvitation.objects.create(
            clinic=clinic, email=email, roles=sorted(roles), invited_by=request.user,
            account=account)
        # The target is the invitation, never the account: the log is the clinic's to read.
        audit_record(request=request, action="staff.invite", clinic=clinic,
                     target=f"accounts.staffinvitation:{invitation.pk}",
                     detail={"roles": sorted(roles), "email": email})
    _invitation_mail(invitation, new=new)
    return invitation


def _invitation_mail(invitation: StaffInvitation, *, new: bool) -> None:
    """The invitation's e-mail, to the address invited: a new account's link to choose its
    password, an existing staff account's way to accept, or why the address cannot be
    used. The clinic's answer is the same in every case; only the inbox is told."""
    account, clinic = invitation.account, invitation.clinic
    accept = absolute_url(reverse("staff_invitations"))
    if account is not None and new:
        message = (f"{clinic.name} invites you to its staff in acuback and has made you an "
                   f"account, '{account.username}'. Open this link to choose your password:\n"
                   f"{password_link(account)}\n\nThen log in (you will set up a second "
                   f"factor, an authenticator app, at your first log-in) and accept the "
                   f"invitation at {accept}")
    elif account is not None:
        message = (f"{clinic.name} invites you to its staff in acuback. Log in as "
                   f"'{account.username}' as usual and accept the invitation at {accept} "
                   "(or ignore this e-mail: nothing changes until you accept).")
    else:
        message = (f"{clinic.name} tried to invite this address to its staff in acuback, "
                   "but it cannot be used for a staff account here (it belongs to another "
                   "kind of account, or the username chosen is taken). Ask them to invite "
                   "you again with another username or address, or ask a platform operator.")
    send_mail(subject=f"{clinic.name}: invitation to acuback", message=message,
              from_email=settings.DEFAULT_FROM_EMAIL,
              recipient_list=[account.email if account else invitation.email])


def _waiting_invitation(clinic: Clinic, invitation_pk: int, request: HttpRequest):
    """The clinic's invitation still waiting (not accepted, not cancelled), locked; 404
    for another clinic's, an accepted or a cancelled one."""
    policy.require(request.user, "clinic.manage", clinic)
    invitation = StaffInvitation.objects.select_for_update(of=("self",)) \
        .select_related("account", "clinic").filter(
            clinic=clinic, pk=invitation_pk, accepted_at__isnull=True,
            cancelled_at__isnull=True).first()
    if invitation is None:
        raise Http404("No such invitation waiting.")
    return invitation


def staff_invitation_cancel(*, clinic: Clinic, invitation_pk: int,
                            request: HttpRequest) -> StaffInvitation:
    """Withdraw an invitation before it is accepted: kept, no longer acceptable."""
    with transaction.atomic():
        invitation = _waiting_invitation(clinic, invitation_pk, request)
        invitation.cancelled_at, invitation.cancelled_by = timezone.now(), request.user
        invitation.save(update_fields=["cancelled_at", "cancelled_by"])
        audit_record(request=request, action="staff.invitation_cancel", clinic=clinic,
                     target=f"accounts.staffinvitation:{invitation.pk}",
                     detail={"email": invitation.email})
    return invitation


def staff_invitation_resend(*, clinic: Clinic, invitation_pk: int,
                            request: HttpRequest) -> StaffInvitation:
    """Send a waiting invitation's e-mail again (a new account that has not chosen its
    password yet gets a fresh link). The same answer whoever the address belongs to."""
    with transaction.atomic():
        invitation = _waiting_invitation(clinic, invitation_pk, request)
        account = invitation.account
        new = account is not None and account.last_login is None and \
            not account.has_usable_password()
        audit_record(request=request, action="staff.invitation_resend", clinic=clinic,
                     target=f"accounts.staffinvitation:{invitation.pk}",
                     detail={"email": invitation.email})
    _invitation_mail(invitation, new=new)
    return invitation


def staff_invitations_open(user: User):
    """The invitations this account may still accept."""
    return StaffInvitation.objects.filter(account=user, accepted_at__isnull=True,
                                          cancelled_at__isnull=True) \
        .select_related("clinic").order_by("created_at")


def staff_invitation_accept(*, invitation_pk: int, request: HttpRequest) -> StaffInvitation:
    """The account's owner, logged in, accepts: the roles of the invitation are given.
    Another person's or an accepted invitation is 404."""
    with transaction.atomic():
        invitation = staff_invitations_open(request.user).select_for_update(of=("self",)) \
            .filter(pk=invitation_pk).first()
        if invitation is None:
            raise Http404("No such invitation.")
        have = set(Membership.objects.filter(user=request.user, clinic=invitation.clinic)
                   .values_list("role", flat=True))
        Membership.objects.bulk_create(
            Membership(user=request.user, clinic=invitation.clinic, role=role)
            for role in invitation.roles if role in STAFF_ROLES and role not in have)
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        audit_record(request=request, action="staff.invitation_accept",
                     clinic=invitation.clinic, target=request.user,
                     detail={"roles": invitation.roles,
                             "invitation": invitation.pk})
    return invitation


def _check_roles(roles: list[str]) -> None:
    unknown = [r for r in roles if r not in STAFF_ROLES]
    if unknown:
        raise ValidationError({"roles": f"Not a staff role: {', '.join(unknown)}."})


def staff_roles_set(*, clinic: Clinic, account: User, roles: list[str],
                    request: HttpRequest) -> None:
    """The account's staff roles in this clinic become `roles` (none: it leaves the clinic's
    staff). Its roles elsewhere are not touched. The clinic keeps at least one admin."""
    policy.require(request.user, "clinic.manage", clinic)
    _check_roles(roles)
    with transaction.atomic():
        # Lock the clinic's admin rows so two admins cannot remove each other at once.
        admins = set(Membership.objects.select_for_update().filter(
            clinic=clinic, role=Role.CLINIC_ADMIN).values_list("user_id", flat=True))
        if not Membership.objects.filter(user=account, clinic=clinic).exists():
            raise PermissionDenied("This account does not belong to your clinic.")
        before = sorted(Membership.objects.filter(user=account, clinic=clinic,
                                                  role__in=STAFF_ROLES)
                        .values_list("role", flat=True))
        if Role.CLINIC_ADMIN not in roles and admins == {account.pk}:
            raise AccountError("The clinic needs at least one clinic admin: make someone "
                               "else clinic admin first.")
        Membership.objects.filter(user=account, clinic=clinic, role__in=STAFF_ROLES) \
            .exclude(role__in=roles).delete()
        Membership.objects.bulk_create(
            Membership(user=account, clinic=clinic, role=role)
            for role in roles if role not in before)
        audit_record(request=request, action="staff.roles", clinic=clinic, target=account,
                     detail={"before": before, "after": sorted(roles)})


def staff_details_update(*, clinic: Clinic, account: User, email: str, first_name: str,
                         last_name: str, request: HttpRequest, mobile_phone: str = "") -> None:
    """A colleague's name, e-mail address and the mobile number urgent safety alerts go to
    by SMS."""
    policy.require_account_change(request.user, account, clinic)
    email = email.strip()
    with transaction.atomic():
        if User.objects.filter(email__iexact=email).exclude(pk=account.pk).exists():
            raise ValidationError({"email": "Another account uses this e-mail address."})
        fields = ["email", "first_name", "last_name", "mobile_phone"]
        before = {name: getattr(account, name) for name in fields}
        account.email, account.first_name, account.last_name = email, first_name, last_name
        account.mobile_phone = mobile_phone.strip()
        account.full_clean(exclude=["password"])
        account.save(update_fields=fields)
        audit_record(request=request, action="staff.details", clinic=clinic, target=account,
                     detail={k: {"before": v, "after": getattr(account, k)}
                             for k, v in before.items() if v != getattr(account, k)})


def staff_active_set(*, clinic: Clinic, account: User, active: bool,
                     request: HttpRequest) -> None:
    """Deactivate (no more log-ins; records it made keep its name) or reactivate."""
    policy.require_account_change(request.user, account, clinic)
    if not active and account.pk == request.user.pk:
        raise AccountError("You cannot deactivate your own account.")
    with transaction.atomic():
        account.is_active = active
        account.save(update_fields=["is_active"])
        audit_record(request=request, clinic=clinic, target=account,
                     action="staff.reactivate" if active else "staff.deactivate")


def staff_two_factor_reset(*, clinic: Clinic, account: User, request: HttpRequest) -> int:
    """Remove a colleague's lost authenticator and recovery codes: they enrol a new device
    at their next log-in. Returns how many devices were removed."""
    from django_otp import devices_for_user

    policy.require_account_change(request.user, account, clinic)
    with transaction.atomic():
        devices = list(devices_for_user(account, confirmed=None))
        for device in devices:
            device.delete()
        audit_record(request=request, action="staff.2fa_reset", clinic=clinic, target=account,
                     detail={"devices": len(devices)})
    return len(devices)


def staff_unlock(*, clinic: Clinic, account: User, request: HttpRequest) -> int:
    """Lift a login lockout (django-axes) before it runs out. Returns the attempts cleared."""
    from .selectors import lockout_of

    policy.require_account_change(request.user, account, clinic)
    with transaction.atomic():
        lockout = lockout_of(account.username)
        _axes_reset(account.username)
        audit_record(request=request, action="staff.unlock", clinic=clinic, target=account,
                     detail={"failures": lockout.failures,
                             "was_locked": lockout.locked_until is not None})
    return lockout.failures


def _axes_reset(username: str) -> int:
    from axes.utils import reset

    return reset(username=username)


def staff_password_set(*, clinic: Clinic, account: User, password: str,
                       request: HttpRequest) -> None:
    """A temporary password the colleague must replace at their next log-in."""
    policy.require_account_change(request.user, account, clinic)
    if account.pk == request.user.pk:
        # One's own password changes on the password page, which asks for the current
        # one: otherwise anyone at an unattended admin session could take the account.
        raise ValidationError("Change your own password on the Change password page.")
    validate_password(password, account)
    with transaction.atomic():
        account.set_password(password)
        account.must_change_password = True
        account.save(update_fields=["password", "must_change_password"])
        audit_record(request=request, action="staff.password_set", clinic=clinic,
                     target=account)
    _axes_reset(account.username)


# --- the clinic's own rows and settings -----------------------------------------------------

def clinic_row_save(*, clinic: Clinic, instance, data: dict, action: str,
                    request: HttpRequest):
    """Create or change one of the clinic's own settings rows (a location, an appointment
    type, a fee, a payer, a practitioner, weekly hours, the questionnaire schedule) or the
    clinic itself, from a form's cleaned data: validated by the model, saved and audited
    together, with the names of the fields that changed. The row, and every row it points
    to, must be the clinic's."""
    policy.require(request.user, "clinic.manage", clinic)
    if instance.pk is not None and _clinic_of(instance) != clinic.pk:
        raise PermissionDenied("This row belongs to another clinic.")
    with transaction.atomic():
        if hasattr(instance, "clinic_id"):
            instance.clinic = clinic
        # Compared with the stored row: a ModelForm has already set its values on instance.
        stored = (type(instance)._default_manager.get(pk=instance.pk)
                  if instance.pk is not None else None)
        changed = sorted(name for name, value in data.items()
                         if stored is None or getattr(stored, name) != value)
        _refuse_identity_change(stored, data)
        for name, value in data.items():
            if hasattr(value, "_meta") and _clinic_of(value) not in (None, clinic.pk):
                raise PermissionDenied(f"The {name} belongs to another clinic.")
            if isinstance(value, User) and not Membership.objects.filter(
                    user=value, clinic=clinic, role__in=STAFF_ROLES).exists():
                raise PermissionDenied(f"The {name} is not on this clinic's staff.")
            setattr(instance, name, value)
        instance.full_clean()
        created = instance.pk is None
        instance.save()
        detail = {"created": created, "fields": changed}
        identity = [name for name in IDENTITY_FIELDS.get(type(instance), ()) if name in changed]
        if identity:  # who a practitioner is: the values, before and after, for the record
            detail["before"] = {n: _audit_value(stored, n) for n in identity} if stored else {}
            detail["after"] = {n: _audit_value(instance, n) for n in identity}
        audit_record(request=request, action=action, clinic=clinic, target=instance,
                     detail=detail)
    return instance


# The fields that say who a practitioner is. The account a practitioner record is linked
# to is fixed once set: relinking it gave another account the practitioner's name,
# licence and NPI on every note it signs (issue #25). A different person gets a record of
# their own; a mistaken link is corrected by a platform operator.
IDENTITY_FIELDS = {Practitioner: ("user", "display_name", "npi", "profession", "supervisor")}
FIXED_ONCE_SET = {Practitioner: ("user",)}


def _refuse_identity_change(stored, data: dict) -> None:
    if stored is None:
        return
    for name in FIXED_ONCE_SET.get(type(stored), ()):
        current = getattr(stored, f"{name}_id")
        if current is not None and name in data and getattr(data[name], "pk", None) != current:
            raise ValidationError({name: (
                "The account of a practitioner record cannot be changed: it is who signs as "
                "this practitioner. Add a new practitioner record for another person.")})


def _audit_value(row, name: str):
    value = getattr(row, name)
    return str(value) if value is not None else None


def _clinic_of(row) -> int | None:
    """The clinic a settings row belongs to: its own, or that of the row it hangs from
    (weekly hours hang from a practitioner). None for rows of no clinic (a user)."""
    if isinstance(row, Clinic):
        return row.pk
    if hasattr(row, "clinic_id"):
        return row.clinic_id
    for field in row._meta.concrete_fields:
        if field.is_relation and hasattr(field.related_model, "clinic"):
            parent = getattr(row, field.name)
            if parent is not None:
                return parent.clinic_id
    return None
