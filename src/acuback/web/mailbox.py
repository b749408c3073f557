"""The developer's mailbox: e-mail and SMS kept as files and shown on a page, so that a
local run (`make run`) does not print every demo message to the console.

Never for a clinic's real patients: the files hold what the messages say (see
docs/security.md). Choose it with ACUBACK_EMAIL_BACKEND / ACUBACK_SMS_BACKEND.
"""

from __future__ import annotations

import email
import email.policy
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

from acuback.scheduling.sms import BaseSMSBackend

EMAIL_BACKEND = "acuback.web.mailbox.MailboxEmailBackend"
SMS_BACKEND = "acuback.web.mailbox.MailboxSMSBackend"


def folder() -> Path:
    return Path(settings.ACUBACK_MAILBOX_DIR)


def in_use() -> bool:
    """Is either kind of message going to the mailbox (else its page does not exist)?"""
    return settings.EMAIL_BACKEND == EMAIL_BACKEND or settings.ACUBACK_SMS_BACKEND == SMS_BACKEND


def _write(suffix: str, data: bytes) -> None:
    target = folder()
    target.mkdir(parents=True, exist_ok=True)
    # Sortable by time; unique across the web workers and the task worker.
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}{suffix}"
    partial = target / f".{name}"
    partial.write_bytes(data)
    os.replace(partial, target / name)  # whole or not at all for the page reading it


class MailboxEmailBackend(BaseEmailBackend):
    """Each message as one .eml file in the mailbox folder."""

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            _write(".eml", message.message().as_bytes(linesep="\n"))
        return len(email_messages)


class MailboxSMSBackend(BaseSMSBackend):
    """Each text as one .sms file: the number on the first line, then the text."""

    def send(self, to: str, body: str) -> None:
        _write(".sms", f"{to}\n{body}".encode())


@dataclass(frozen=True)
class Message:
    kind: str  # "E-mail" or "SMS"
    name: str
    sent: datetime
    to: str
    subject: str
    body: str


def messages(limit: int = 200) -> list[Message]:
    """The newest messages first."""
    if not folder().is_dir():
        return []
    files = sorted((p for p in folder().iterdir()
                    if p.suffix in (".eml", ".sms") and not p.name.startswith(".")),
                   key=lambda p: p.name, reverse=True)[:limit]
    return [_read(p) for p in files]


def _read(path: Path) -> Message:
    sent = datetime.strptime(path.name.partition("-")[0], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    if path.suffix == ".sms":
        to, _, body = path.read_text().partition("\n")
        return Message("SMS", path.name, sent, to, "", body)
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    part = parsed.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    attachments = [a.get_filename() or a.get_content_type() for a in parsed.iter_attachments()]
    if attachments:
        body += "\n\nAttached: " + ", ".join(attachments)
    return Message("E-mail", path.name, sent, str(parsed["To"] or ""),
                   str(parsed["Subject"] or ""), body)
