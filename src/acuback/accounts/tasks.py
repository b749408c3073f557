"""Background work for accounts (run by `acuback worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def password_link_send(*, email: str, asked_from: str | None) -> None:
    """The worker's half of a password reset request: look the address up and e-mail the
    link (accounts.services.password_link_send). Returns nothing: the task's stored result
    must not say whether the address was known."""
    from .services import password_link_send as send

    send(email=email, asked_from=asked_from)
