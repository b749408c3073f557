"""Kill the production server (SIGKILL) while it takes writes: every write it
acknowledged is there after a restart, and the database passes its integrity check.

Runs the real server (`acuback serve`, gunicorn) on a throwaway SQLite database; the
writes are FHIR transaction imports, each creating one patient.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SETUP = """
import django; django.setup()
from datetime import timedelta
from django.core.management import call_command
from django.utils import timezone
call_command("migrate", verbosity=0)
from acuback.accounts.models import Clinic, Membership, Role, User
from acuback.interop.models import ApiToken, token_digest
clinic = Clinic.objects.create(name="Crash", slug="crash", time_zone="UTC")
admin = User.objects.create_user("crash_admin")
Membership.objects.create(user=admin, clinic=clinic, role=Role.CLINIC_ADMIN)
ApiToken.objects.create(clinic=clinic, user=admin, name="crash", digest=token_digest("acb_crash"),
                        prefix="acb_crash", scopes=["user/*.write", "user/*.read"],
                        created_by=admin, expires_at=timezone.now() + timedelta(days=1))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ACUBACK_DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(ACUBACK_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="acuback.settings",
               ACUBACK_REQUIRE_2FA="0")
    return env


def _start(env, port):
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "acuback.cli", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "2"], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/fhir/metadata", timeout=1)  # noqa: S310
            return process
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the server did not start")


def _bundle(name: str) -> bytes:
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": [{
        "resource": {"resourceType": "Patient", "name": [{"family": name, "given": ["Crash"]}],
                     "birthDate": "1970-01-01"},
        "request": {"method": "POST", "url": "Patient"}}]}).encode()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_acknowledged_writes_survive_a_sigkill(tmp_path):
    env = _env(tmp_path)
    subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, timeout=120)  # noqa: S603
    port = _free_port()
    server = _start(env, port)
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(n: int):
        k = 0
        while not stop.is_set():
            name = f"W{n}x{k}"
            k += 1
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/fhir", data=_bundle(name), method="POST",
                headers={"Authorization": "Bearer acb_crash",
                         "Content-Type": "application/fhir+json"})
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        with lock:
                            acknowledged.append(name)
            except (urllib.error.URLError, ConnectionError, OSError):
                pass  # in flight when the server died: not acknowledged

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    deadline = time.time() + 30
    while len(acknowledged) < 40 and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(server.pid, signal.SIGKILL)  # the master and its workers, mid-write
    server.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert len(acknowledged) >= 40, "too few writes before the kill"

    server = _start(env, _free_port())  # the restart must work
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=10)
    database = sqlite3.connect(tmp_path / "acuback.sqlite3")
    assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {row[0] for row in database.execute("SELECT family_name FROM patients_patient")}
    missing = set(acknowledged) - stored
    assert not missing, f"acknowledged but lost: {sorted(missing)[:10]}"
