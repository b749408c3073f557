"""Two web nodes of one installation (issue #31 §5): each with its own data folder, one
database and one secret key. A log-in made on one node is good on the other; a third
node started with another key refuses to start. With two web servers and two workers
under a mixed workload: log-ins move between nodes, an export made through one node
downloads from the other, no message is sent twice, and the audit chain verifies on
both. On PostgreSQL when the suite runs on it (scripts/test.sh), else on one SQLite
file."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from email import message_from_bytes
from email.policy import default as email_policy
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

RUN = "from acuback.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def shared_database(tmp_path):
    """A database of the two nodes' own: a fresh one on the suite's PostgreSQL server,
    dropped after, or a SQLite file."""
    url = os.environ.get("ACUBACK_DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    import psycopg

    parts = urllib.parse.urlsplit(url)
    server = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    name = f"acuback_two_nodes_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _node_env(tmp_path, name: str, key: str, database: str) -> dict:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""), "HOME": str(tmp_path),
            "ACUBACK_DATA_DIR": str(folder), "ACUBACK_SECRET_KEY": key,
            "ACUBACK_DATABASE_URL": database,
            "ACUBACK_REQUIRE_2FA": "0", "ACUBACK_TIME_ZONE": "UTC",
            # One mailbox for both workers, as one mail server would receive them.
            "ACUBACK_EMAIL_BACKEND": "acuback.web.mailbox.MailboxEmailBackend",
            "ACUBACK_SMS_BACKEND": "acuback.web.mailbox.MailboxSMSBackend",
            "ACUBACK_MAILBOX_DIR": str(tmp_path / "mailbox"),
            "ACUBACK_WORKER_TICK_SECONDS": "2"}


def _acuback(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", RUN, *args], env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=600, **kwargs)


def _serve(env: dict, port: int) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", RUN, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--threads", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)


def _wait_ready(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(server.stdout.read() if server.poll() is not None else "no answer")


def test_a_log_in_on_one_node_holds_on_the_other_and_a_node_with_another_key_stops(
        tmp_path, shared_database):
    key = "shared-installation-key-" + "x" * 40
    env_a = _node_env(tmp_path, "node-a", key, shared_database)
    env_b = _node_env(tmp_path, "node-b", key, shared_database)
    assert _acuback(env_a, "migrate", "--noinput").returncode == 0
    made = _acuback({**env_a, "DJANGO_SUPERUSER_PASSWORD": "two-nodes-pass-9x"},
                    "createsuperuser", "--noinput", "--username", "operator",
                    "--email", "operator@example.org")
    assert made.returncode == 0, made.stderr
    port_a, port_b = _free_port(), _free_port()
    node_a, node_b = _serve(env_a, port_a), _serve(env_b, port_b)
    try:
        _wait_ready(port_a, node_a)
        _wait_ready(port_b, node_b)
        jar = CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = browser.open(f"http://127.0.0.1:{port_a}/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "operator",
                                       "password": "two-nodes-pass-9x"}).encode()
        browser.open(urllib.request.Request(
            f"http://127.0.0.1:{port_a}/login/", data=form,
            headers={"Referer": f"http://127.0.0.1:{port_a}/login/"}))
        assert any(c.name == "sessionid" for c in jar)
        # The same cookies on node B (cookies are per host, not port): signed in there
        # too, because the session and its signature are the installation's.
        answer = browser.open(f"http://127.0.0.1:{port_b}/account/password/")
        assert "/login/" not in answer.geturl()
        # A third node with another key: refused at start, nothing served.
        other = _acuback(_node_env(tmp_path, "node-c", "another-key-" + "y" * 40,
                                   shared_database), "serve",
                         "--bind", f"127.0.0.1:{_free_port()}", "--workers", "1")
        assert other.returncode != 0
        assert "secret key differs" in other.stderr
    finally:
        for node in (node_a, node_b):
            node.terminate()
            node.wait(timeout=30)


MAKE_TOKEN = """
import django
django.setup()
from django.test import RequestFactory
from acuback.accounts.models import User
from acuback.interop.services import token_create
admin = User.objects.get(username="admin")
clinic = admin.memberships.get(role="clinic_admin").clinic
request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
request.user = admin
print(token_create(clinic=clinic, user=admin, name="two nodes", scopes=["system/*.read"],
                   days=1, request=request)[1])
"""


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", RUN, "worker"], env=env,  # noqa: S603
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _log_in(port: int, username: str, password: str):
    jar = CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(f"http://127.0.0.1:{port}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": username,
                                   "password": password}).encode()
    browser.open(urllib.request.Request(f"http://127.0.0.1:{port}/login/", data=form,
                                        headers={"Referer": f"http://127.0.0.1:{port}/login/"}))
    assert any(c.name == "sessionid" for c in jar), username
    return browser


def _fhir(url: str, token: str, **headers) -> urllib.response.addinfourl:
    return urllib.request.urlopen(urllib.request.Request(url, headers={  # noqa: S310
        "Authorization": f"Bearer {token}", "Accept": "application/fhir+json", **headers}),
        timeout=60)


def _on(url: str, port: int) -> str:
    """The same path on another node."""
    return re.sub(r"^http://127\.0\.0\.1:\d+", f"http://127.0.0.1:{port}", url)


def _messages(folder: Path) -> Counter:
    """Each message sent, by what it says and to whom (not its Message-ID or Date)."""
    sent: Counter = Counter()
    for path in sorted(folder.glob("*.e*")) + sorted(folder.glob("*.sms")):
        if path.suffix == ".eml":
            mail = message_from_bytes(path.read_bytes(), policy=email_policy)
            sent[(mail["To"], mail["Subject"],
                  mail.get_body(("plain",)).get_content())] += 1
        else:
            sent[path.read_text()] += 1
    return sent


def test_two_web_servers_and_two_workers_serve_one_installation(tmp_path, shared_database):
    key = "shared-installation-key-" + "z" * 40
    env_a = _node_env(tmp_path, "node-a", key, shared_database)
    env_b = _node_env(tmp_path, "node-b", key, shared_database)
    assert _acuback(env_a, "migrate", "--noinput").returncode == 0
    seeded = _acuback(env_a, "seed_demo")
    assert seeded.returncode == 0, seeded.stderr
    made = subprocess.run([sys.executable, "-c", MAKE_TOKEN],  # noqa: S603
                          env={**env_a, "DJANGO_SETTINGS_MODULE": "acuback.settings"},
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    api_token = made.stdout.strip().splitlines()[-1]
    port_a, port_b = _free_port(), _free_port()
    processes = [_serve(env_a, port_a), _serve(env_b, port_b), _worker(env_a), _worker(env_b)]
    try:
        _wait_ready(port_a, processes[0])
        _wait_ready(port_b, processes[1])
        # Log-ins move between nodes: signed in on A, each page answered by both.
        for username in ("admin", "frontdesk", "jporter"):
            browser = _log_in(port_a, username, "acuback-demo")
            for port in (port_a, port_b, port_a, port_b):
                answer = browser.open(f"http://127.0.0.1:{port}/")
                assert answer.status == 200 and "/login/" not in answer.geturl(), username
        # An export kicked off through A, run by whichever worker claims it, polled and
        # downloaded through B (and A): the files are the installation's, not a node's.
        kickoff = _fhir(f"http://127.0.0.1:{port_a}/fhir/$export?_type=Patient", api_token,
                        Prefer="respond-async")
        assert kickoff.status == 202
        status_url = _on(kickoff.headers["Content-Location"], port_b)
        deadline = time.monotonic() + 180
        while True:
            poll = _fhir(status_url, api_token)
            if poll.status == 200:
                break
            assert poll.status == 202 and time.monotonic() < deadline, "export never finished"
            time.sleep(1)
        import json

        outputs = json.loads(poll.read())["output"]
        assert outputs
        for output in outputs:
            via_b = _fhir(_on(output["url"], port_b), api_token,
                          Accept="application/fhir+ndjson").read()
            via_a = _fhir(_on(output["url"], port_a), api_token,
                          Accept="application/fhir+ndjson").read()
            assert via_a == via_b and via_b.count(b'"resourceType": "Patient"') + \
                via_b.count(b'"resourceType":"Patient"') >= 10
        # No message twice: both workers ran the reminder clock over the demo's due
        # reminders and invitations; wait until the mailbox stops growing.
        mailbox = tmp_path / "mailbox"
        seen, steady_since = -1, time.monotonic()
        while time.monotonic() - steady_since < 8 and time.monotonic() < deadline + 120:
            count = len(list(mailbox.glob("*"))) if mailbox.exists() else 0
            if count != seen or count == 0:
                seen, steady_since = count, time.monotonic()
            time.sleep(1)
        sent = _messages(mailbox)
        assert sum(sent.values()) >= 10
        assert [m for m, times in sent.items() if times > 1] == []
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    # The audit chain, written by four processes, verifies from either node.
    for env in (env_a, env_b):
        verified = _acuback(env, "audit", "verify")
        assert verified.returncode == 0, verified.stdout + verified.stderr
