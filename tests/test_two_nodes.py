"""Two web nodes of one installation (issue #31 §5): each with its own data folder, one
database and one secret key. A log-in made on one node is good on the other; a third
node started with another key refuses to start."""

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
from http.cookiejar import CookieJar

RUN = "from acuback.cli import main; main()"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _node_env(tmp_path, name: str, key: str) -> dict:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""), "HOME": str(tmp_path),
            "ACUBACK_DATA_DIR": str(folder), "ACUBACK_SECRET_KEY": key,
            "ACUBACK_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.sqlite3'}",
            "ACUBACK_REQUIRE_2FA": "0", "ACUBACK_TIME_ZONE": "UTC"}


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
        tmp_path):
    key = "shared-installation-key-" + "x" * 40
    env_a, env_b = _node_env(tmp_path, "node-a", key), _node_env(tmp_path, "node-b", key)
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
        other = _acuback(_node_env(tmp_path, "node-c", "another-key-" + "y" * 40), "serve",
                         "--bind", f"127.0.0.1:{_free_port()}", "--workers", "1")
        assert other.returncode != 0
        assert "secret key differs" in other.stderr
    finally:
        for node in (node_a, node_b):
            node.terminate()
            node.wait(timeout=30)
