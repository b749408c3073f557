"""Background work for the patient portal (run by `acuback worker`)."""

from __future__ import annotations

from django_tasks import task


@task()
def login_link_send(*, email: str) -> None:
    """The worker's half of a portal log-in link request: look the address up and e-mail
    the link (portal.services.login_link_send). Returns nothing: the task's stored result
    must not say whether the address was known."""
    from .services import login_link_send as send

    send(email=email)
