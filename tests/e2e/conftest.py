"""Browser tests: Playwright (Python) driving Debian's chromium against the live server."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# Playwright's sync API runs an event loop; Django refuses ORM calls from inside
# one unless told the test knows what it is doing.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
BROWSER_TIME_ZONE = "Asia/Kolkata"


def _chromium() -> str | None:
    return os.environ.get("ACUBACK_CHROMIUM") or shutil.which("chromium")


# axe-core's impact levels that fail a test (issue #28 §9); "minor" and "moderate" are
# reported by axe but left to review.
FAILING_IMPACTS = ("serious", "critical")
_a11y_problems: list[str] = []


# axe-core runs inside each page once it has loaded and reports back through a binding:
# the browser does the work, so the check never interleaves with the test's own steps.
_RUN_AXE_ON_LOAD = """
window.addEventListener("load", () => {
  if (window.top !== window) return;
  axe.run(document, {resultTypes: ["violations"]}).then(
    (r) => window.__acubackAxe(location.href, r.violations), () => {});
});
"""


def _report(_source, url: str, violations: list) -> None:
    for violation in violations:
        if violation.get("impact") in FAILING_IMPACTS:
            targets = ", ".join(str(n["target"]) for n in violation["nodes"][:5])
            _a11y_problems.append(f"{url}: {violation['id']} ({violation['impact']}): "
                                  f"{violation['help']} at {targets}")


def _watch_accessibility(context) -> None:
    if os.environ.get("ACUBACK_AXE", "1") == "0":  # ACUBACK_AXE=0: without the check
        return
    from axe_playwright_python.sync_playwright import Axe

    context.expose_binding("__acubackAxe", _report)
    context.add_init_script(Axe().axe_script + "\n" + _RUN_AXE_ON_LOAD)


@pytest.fixture(autouse=True)
def no_accessibility_violations(request):
    """Every page a browser test visits passes axe-core's serious and critical rules."""
    _a11y_problems.clear()
    yield
    if request.node.get_closest_marker("e2e") is not None or "browser" in request.fixturenames:
        problems = list(dict.fromkeys(_a11y_problems))
        _a11y_problems.clear()
        assert not problems, "Accessibility violations:\n" + "\n".join(problems)


@pytest.fixture(scope="session")
def browser():
    path = _chromium()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required for the browser tests when CI=true")
        pytest.skip("chromium not installed: browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        new_context = browser.new_context

        def new_watched_context(*args, **kwargs):
            # Every page of every context (desktop and phone alike) is checked as it loads.
            context = new_context(*args, **kwargs)
            _watch_accessibility(context)
            return context

        browser.new_context = new_watched_context
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    # The browser's own zone is neither the server's nor any clinic's: a time formatted
    # in the browser would show up wrong.
    context = browser.new_context(base_url=live_server.url, timezone_id=BROWSER_TIME_ZONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def log_in(page):
    from tests.factories import PASSWORD

    def _log_in(username: str):
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")

    return _log_in


@pytest.fixture
def world(transactional_db):
    """The shared world, committed so that the live server sees it."""
    from tests.factories import make_world

    return make_world()
