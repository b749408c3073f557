"""`acuback welcome`: what a newcomer needs once `make run` is up: the address, the
mailbox and the demo logins, printed last so that they are not buried."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from acuback.web import mailbox
from acuback.web.demo import demo_loaded, demo_login_lines


class Command(BaseCommand):
    help = "Print the address, the mailbox and the demo logins (after --wait: once it answers)."

    def add_arguments(self, parser):
        parser.add_argument("url", help="the address the server listens on")
        parser.add_argument("--wait", type=float, default=0, metavar="SECONDS",
                            help="first wait up to this long for the server to answer")

    def handle(self, *args, url: str, wait: float, **options):
        url = url.rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise CommandError("url: give the server's http:// or https:// address.")
        if wait:
            _wait_for(f"{url}{reverse('login')}", wait)
        lines = ["", "=" * 72, f"acuback is running at {url}/  (Ctrl+C stops it)"]
        if mailbox.in_use():
            lines.append(f"E-mail and SMS are not sent: read them at {url}{reverse('mailbox')} "
                         f"(log in as admin) or in {mailbox.folder()}")
        if demo_loaded():
            lines += ["", *demo_login_lines()]
        lines.append("=" * 72)
        self.stdout.write("\n".join(lines))


def _wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            # The scheme is checked in handle(): http or https only.
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310  # nosec B310
                return
        except (urllib.error.URLError, OSError):
            if time.monotonic() > deadline:
                raise CommandError(f"{url} did not answer within {seconds:g} s.") from None
            time.sleep(0.5)
