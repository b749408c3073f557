# ruff: noqa: S603, S607 - the tests run the project's own commands and systemd-analyze
"""Releases and deployment files (issue #31 §6): one version source, a lock file that
pins every dependency, and the systemd units, proxy example and environment file that
docs/deployment.md installs."""

from __future__ import annotations

import configparser
import importlib.metadata
import re
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

import acuback
from acuback.cli import version_line

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("acuback-*"))


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]).lower()


def test_one_version_source_for_the_package_the_command_and_the_changelog():
    assert importlib.metadata.version("acuback") == acuback.__version__
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"]  # no second copy to forget
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "acuback.__version__"}
    latest = re.search(r"^## (\S+)", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert latest and latest.group(1) == acuback.__version__


def test_acuback_version_prints_acubacks_version_not_djangos():
    out = subprocess.run([sys.executable, "-c", "from acuback.cli import main; main()",
                          "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == version_line()
    assert out.startswith(f"acuback {acuback.__version__} (Django ")


@pytest.mark.django_db
def test_admins_see_the_release_in_the_footer_and_others_do_not(world, login, operator):
    for user, shown in ((world.admin, True), (operator, True), (world.practitioner, False),
                        (world.front_desk, False)):
        page = login(user).get(reverse("home"), follow=True).content.decode()
        assert (f"acuback {acuback.__version__}</footer>" in page) is shown, user


def test_the_lock_file_pins_every_dependency_and_extra():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(r) for r in pyproject["dependencies"]}
    for extra in pyproject.get("optional-dependencies", {}).values():
        wanted |= {_name(r) for r in extra}
    pinned = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line)
        if match:
            pinned[_name(match.group(1))] = match.group(2)
    assert not wanted - set(pinned), f"not in requirements.lock (run `make lock`): {wanted - set(pinned)}"
    for requirement in pyproject["dependencies"]:
        from packaging.requirements import Requirement

        req = Requirement(requirement)
        assert req.specifier.contains(pinned[_name(req.name)], prereleases=True), requirement


def test_the_makefile_installs_from_the_lock_file():
    makefile = (ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "pip install" in line and "-e " in line]
    assert installs and all("-c requirements.lock" in line for line in installs)


def _unit(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


def test_each_service_runs_an_acuback_command_that_exists_and_restarts():
    from django.core.management import get_commands

    services = [u for u in UNITS if u.suffix == ".service"]
    assert {u.name for u in services} == {"acuback-web.service", "acuback-worker.service",
                                          "acuback-backup.service"}
    for path in services:
        service = _unit(path)["Service"]
        command = service["ExecStart"].split()
        assert command[0].endswith("/bin/acuback") and command[1] in get_commands(), path.name
        assert service["EnvironmentFile"] == "/etc/acuback/acuback.env"
        assert service["User"] == "acuback" and service["UMask"] == "0077"
        if service.get("Type") != "oneshot":
            assert service["Restart"] == "always", path.name
    timer = _unit(DEPLOY / "systemd" / "acuback-backup.timer")["Timer"]
    assert timer["Persistent"] == "true" and timer["OnCalendar"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path):
    for path in UNITS:
        text = path.read_text().replace("/opt/acuback/.venv/bin/acuback",
                                        str(Path(sys.executable).with_name("acuback")))
        (tmp_path / path.name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", "--man=no",
                             *[str(tmp_path / p.name) for p in UNITS]],
                            capture_output=True, text=True)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_environment_file_sets_only_settings_that_exist():
    settings_source = "\n".join(p.read_text() for p in (ROOT / "src" / "acuback").glob("*.py"))
    readme = (ROOT / "README.md").read_text()
    names = re.findall(r"^(ACUBACK_[A-Z0-9_]+)=", (DEPLOY / "acuback.env.example").read_text(),
                       re.M)
    assert "ACUBACK_SECRET_KEY" in names and "ACUBACK_DATABASE_URL" in names
    for name in names:
        # the README's table names the e-mail settings as `_PORT`, `_HOST_USER`, ...
        shown = f"`{name}`" in readme or f"`_{name.split('_', 2)[2]}`" in readme
        assert name in settings_source and shown, name


def test_acuback_manage_runs_commands_with_the_environment_files_settings(tmp_path):
    # The example environment file is valid shell and systemd syntax (quoted values).
    example = subprocess.run(["sh", "-c", f'set -a; . "{DEPLOY}/acuback.env.example"; '
                              'echo "$ACUBACK_DEFAULT_FROM_EMAIL"'],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert example == "Riverside Clinic <acuback@example.org>"
    app = tmp_path / "app"
    (app / ".venv" / "bin").mkdir(parents=True)
    (app / ".venv" / "bin" / "acuback").symlink_to(Path(sys.executable).with_name("acuback"))
    data = tmp_path / "data"
    data.mkdir()
    env_file = tmp_path / "acuback.env"
    env_file.write_text(f'ACUBACK_DATA_DIR={data}\nACUBACK_TIME_ZONE="Pacific/Chatham"\n')
    code = "from django.conf import settings; print(settings.DATA_DIR, settings.TIME_ZONE)"
    result = subprocess.run(
        [str(DEPLOY / "acuback-manage"), "shell", "-v", "0", "-c", code],
        env={"PATH": "/usr/bin:/bin", "ACUBACK_ENV_FILE": str(env_file),
             "ACUBACK_APP_DIR": str(app), "ACUBACK_RUN_AS": "root"},
        capture_output=True, text=True)
    assert result.stdout.split() == [str(data), "Pacific/Chatham"], result.stderr
    missing = subprocess.run([str(DEPLOY / "acuback-manage"), "--version"],
                             env={"PATH": "/usr/bin:/bin", "ACUBACK_ENV_FILE": str(tmp_path / "no")},
                             capture_output=True, text=True)
    assert missing.returncode != 0 and "no" in missing.stderr


def test_the_proxy_example_forwards_what_acuback_trusts_and_logs_no_query_strings():
    conf = (DEPLOY / "nginx" / "acuback.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    log_format = re.search(r"log_format acuback_path (.*?);", conf, re.S).group(1)
    assert "$request_uri" not in log_format and "$request " not in log_format
    assert "$uri" in log_format and "access_log /var/log/nginx/acuback.access.log acuback_path;" in conf
    assert (DEPLOY / "nginx" / "maintenance.html").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_server_starts_for_a_service_user_without_a_writable_home(tmp_path):
    # gunicorn's control socket and matplotlib's cache defaulted to $HOME, which a service
    # user often cannot write: the server starts and answers without it.
    port = _free_port()
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "ACUBACK_DATA_DIR": str(tmp_path),
           "ACUBACK_REQUIRE_2FA": "0"}
    server = subprocess.Popen(
        [sys.executable, "-c", "from acuback.cli import main; main()", "serve",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "1"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status, deadline = None, time.monotonic() + 60
        while status is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login/", timeout=5) as r:
                    status = r.status
            except OSError:
                time.sleep(0.5)
        assert status == 200, server.stdout.read() if server.poll() is not None else "no answer"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert (tmp_path / "matplotlib").is_dir()
    assert not (tmp_path / ".gunicorn").exists()
