"""Settings from the environment, the command line, and migrations."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from acuback import env


def test_a_secret_key_is_generated_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("ACUBACK_SECRET_KEY", raising=False)
    first = env.secret_key(tmp_path)
    assert len(first) >= 50
    assert env.secret_key(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_a_configured_secret_key_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("ACUBACK_SECRET_KEY", "from-the-environment")
    assert env.secret_key(tmp_path) == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("On", True),
                                           ("0", False), ("no", False), ("", False)])
def test_booleans_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env.env_bool("X_FLAG") is expected


def test_lists_from_the_environment(monkeypatch):
    monkeypatch.setenv("X_HOSTS", "a.example, b.example,,")
    assert env.env_list("X_HOSTS", []) == ["a.example", "b.example"]


def test_debug_is_off_by_default_and_cookies_are_http_only(settings):
    if "ACUBACK_DEBUG" not in os.environ:
        assert settings.DEBUG is False
    assert settings.SESSION_COOKIE_HTTPONLY


def test_default_settings_use_sqlite_in_the_data_folder_with_wal(tmp_path):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='acuback.settings'; django.setup()\n"
        "from django.conf import settings; from django.db import connection\n"
        "assert str(settings.DATABASES['default']['NAME']).startswith(os.environ['ACUBACK_DATA_DIR'])\n"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])\n"
        "c.execute('PRAGMA foreign_keys'); print(c.fetchone()[0])\n"
    )
    environ = {**os.environ, "ACUBACK_DATA_DIR": str(tmp_path), "ACUBACK_DATABASE_URL": ""}
    out = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True,  # noqa: S603
                         text=True, check=True).stdout.split()
    assert out == ["wal", "1"]


def _without_data_settings() -> dict:
    return {k: v for k, v in os.environ.items()
            if k not in ("ACUBACK_DATA_DIR", "ACUBACK_SECRET_KEY", "ACUBACK_DATABASE_URL")}


def test_importing_the_settings_writes_nothing(tmp_path):
    """Neither the default ./var nor a secret key appear because the settings were read."""
    code = ("import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'acuback.settings'\n"
            "django.setup()\n"
            "from django.conf import settings; print(settings.DATA_DIR)\n")
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=_without_data_settings(),  # noqa: S603
                   capture_output=True, text=True, check=True)
    assert list(tmp_path.iterdir()) == []


def test_the_secret_key_is_generated_when_first_used(tmp_path):
    code = ("import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'acuback.settings'\n"
            "django.setup()\n"
            "from django.core import signing; print(signing.dumps('x'))\n")
    environ = {**_without_data_settings(), "ACUBACK_DATA_DIR": str(tmp_path / "data")}
    subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True,  # noqa: S603
                   text=True, check=True)
    assert (tmp_path / "data" / "secret_key").exists()


def test_the_command_line_makes_the_data_folder_it_needs(tmp_path):
    code = "from acuback.cli import main; main(['acuback', 'migrate', '--check'])\n"
    environ = {**_without_data_settings(), "ACUBACK_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True,  # noqa: S603
                            text=True)
    assert (tmp_path / "data" / "static").is_dir()
    assert "unable to open database" not in result.stderr


def test_a_command_without_the_environment_starts_no_new_data_folder(tmp_path):
    """Run as root from another directory without the service's environment, `acuback
    migrate` used to make ./var with an empty database and a new secret key (issue #31)."""
    code = "from acuback.cli import main; main(['acuback', 'migrate'])\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,  # noqa: S603
                            env=_without_data_settings(), capture_output=True, text=True)
    assert result.returncode != 0
    assert "ACUBACK_DATA_DIR is not set" in result.stderr and "acuback init" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_acuback_init_starts_a_data_folder_where_asked(tmp_path):
    code = "from acuback.cli import main; main(['acuback', 'init'])\n"
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path,  # noqa: S603
                            env=_without_data_settings(), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "static").is_dir()
    assert str(tmp_path / "var") in result.stdout


def test_a_bare_pytest_writes_nothing_where_it_is_run(tmp_path):
    """pytest without ACUBACK_DATA_DIR (a newcomer's first run): its data folder is a
    temporary one, so the checkout (here: the folder pytest runs in) stays clean."""
    root = Path(__file__).resolve().parents[1]
    test = root / "tests" / "accounts" / "test_timezone_middleware.py"  # logs in: a signed session
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "--rootdir", str(root),
         "-c", str(root / "pyproject.toml"), str(test)],
        cwd=tmp_path, env=_without_data_settings(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-2000:]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_migrations_are_complete():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_the_command_accepts_dashed_names(monkeypatch):
    from acuback import cli

    seen = {}
    monkeypatch.setattr("django.core.management.execute_from_command_line",
                        lambda argv: seen.setdefault("argv", argv))
    # The key check reads the database (tests/web/test_key_rotation.py); not here.
    monkeypatch.setattr(cli, "_refuse_another_key", lambda command: None)
    cli.main(["acuback", "seed-demo", "--if-empty"])
    assert seen["argv"] == ["acuback", "seed_demo", "--if-empty"]


@pytest.mark.parametrize("app, name, option", [("acuback.web", "serve", "--bind"),
                                               ("acuback.web", "seed_demo", "--if-empty")])
def test_serve_and_seed_demo_are_real_commands(app, name, option):
    from django.core.management import get_commands, load_command_class

    assert get_commands()[name] == app
    parser = load_command_class(app, name).create_parser("acuback", name)
    assert option in parser.format_help()


@pytest.mark.django_db
def test_sqlite_enforces_foreign_keys():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db
def test_postgresql_prepares_a_statement_run_again():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from acuback.accounts.models import Clinic

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements "
                           "WHERE statement LIKE '%%accounts_clinic%%'")
            return cursor.fetchone()[0]

    before = prepared()
    for pk in (1, 2, 3):  # a statement no other test runs, with other parameters each time
        list(Clinic.objects.filter(pk=pk, slug__endswith="-prepared").only("pk"))
    assert prepared() == before + 1


@pytest.mark.django_db
def test_instruments_load_text_loads_a_clinics_licensed_wording(tmp_path):
    import json

    from django.core.management import CommandError

    from acuback.outcomes.services import wording_for
    from tests.factories import make_clinic

    clinic = make_clinic()
    data = {"clinic": clinic.slug, "instrument": "peg", "copyright": "© the authors",
            "items": {str(n): {"text": f"Licensed item {n}"} for n in (1, 2, 3)}}
    path = tmp_path / "peg.json"
    path.write_text(json.dumps(data))
    call_command("instruments", "load-text", str(path), stdout=StringIO())
    mode, texts, notice = wording_for(clinic, "peg")
    assert (mode, texts[2], notice) == ("licensed", "Licensed item 2", "© the authors")

    for bad, message in [({**data, "items": {"1": {"text": "x"}}}, "items missing: 2, 3"),
                         ({**data, "instrument": "sf36"}, "unknown instrument"),
                         ({**data, "clinic": "nope"}, "Unknown clinic"),
                         ({**data, "items": {**data["items"], "9": {"text": "x"}}},
                          "not an item of peg")]:
        path.write_text(json.dumps(bad))
        with pytest.raises(CommandError, match=message):
            call_command("instruments", "load-text", str(path), stdout=StringIO())
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("instruments", "load-text", str(path), stdout=StringIO())


def _apps_with_migrations() -> set[str]:
    package = Path(__file__).resolve().parents[1] / "src" / "acuback"
    return {p.parent.parent.name for p in package.glob("*/migrations/__init__.py")}


def test_make_migrations_covers_every_app():
    """`make migrations` names no subset of the apps (it once named three of twelve)."""
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text()
    recipe = makefile.split("\nmigrations:", 1)[1].split("\n\n", 1)[0]
    command = next(line.strip() for line in recipe.splitlines() if "makemigrations" in line)
    named = set(command.split("makemigrations", 1)[1].split())
    assert not named or _apps_with_migrations() <= named, command


def test_the_suite_script_checks_that_migrations_are_complete():
    script = (Path(__file__).resolve().parents[1] / "scripts" / "test.sh").read_text()
    assert "makemigrations --check" in script
