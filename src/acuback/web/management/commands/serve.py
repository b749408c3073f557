"""`acuback serve`: the production web server (gunicorn; whitenoise serves static files)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from gunicorn.app.base import BaseApplication

from acuback.web.checks import refuse_unsafe_production
from acuback.web.installation_key import refuse_a_different_secret_key
from acuback.web.memory import FreedMemory, freeze_loaded, glibc_trim
from acuback.wsgi import application


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return application


def _preload() -> None:
    """Import what the first chart and the first FHIR request would, before the workers
    fork: they share these pages instead of each growing by ~40 MB on its first chart
    (seen as a step in the soak's memory samples) and paying the import in a request."""
    from django.template.loader import get_template
    from django.urls import reverse

    from acuback.interop import mapping
    from acuback.web import charts

    mapping.load_models()

    # A first drawing builds fonts and text layout (about 4 MiB): built here once, shared
    # by the workers, instead of in each worker on its first uncached chart.
    charts.warm()

    # The URL resolver and the template every page extends, built once before the fork
    # rather than in each worker thread's first page (90 ms of a first home page).
    reverse("home")
    get_template("web/base.html")
    freeze_loaded()


def _before_request(worker, req) -> None:
    freed_memory.request_started()


def _after_request(worker, req, environ, resp) -> None:
    freed_memory.request_finished()


freed_memory = FreedMemory(trim=glibc_trim())  # one per worker, copied at the fork


def gunicorn_options(*, bind: str, workers: int, threads: int) -> dict:
    return {
        "bind": bind,
        "workers": workers,
        "threads": threads,
        "accesslog": "-",
        # Paths only: a query string can carry a patient's name or date of birth.
        "logger_class": "acuback.web.access_log.AccessLogWithoutQueries",
        # gunicorn's default line and, last, the microseconds the request took in
        # the server (the load benchmark reads it; docs/deployment.md).
        "access_log_format": '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" '
                             '"%(a)s" %(D)s',
        "timeout": 60,
        # No gunicornc control socket: acuback does not use it, and its default home
        # ($HOME/.gunicorn) is not writable for a service user.
        "control_socket_disable": True,
        # Longer than a browser's pause between clicks: fewer connections closed
        # by the server just as the client reuses them (seen as resets in the load
        # benchmark with the 2 s default).
        "keepalive": 5,
        "pre_request": _before_request,
        "post_request": _after_request,
    }


class Command(BaseCommand):
    help = "Serve acuback with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

    def handle(self, *args, bind: str, workers: int, threads: int, **options):
        refuse_unsafe_production()
        refuse_a_different_secret_key(self.stderr.write)
        _preload()
        self.stdout.write(f"acuback is running at http://{bind}/  (Ctrl+C stops it)")
        _Gunicorn(gunicorn_options(bind=bind, workers=workers, threads=threads)).run()
