"""The user guide's screenshots (docs/screenshots/), taken from a running demo.

    make run                      # in one terminal: the demo at http://127.0.0.1:8000
    make screenshots              # in another (BASE_URL=... for another address)

Each shot is one page as the role that uses it sees it: staff on a laptop-sized window,
patients on a phone-sized one. tests/test_user_guide.py checks that the guide shows
every shot and that every shot named here exists.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# name, who (None: not logged in), page, window
SHOTS: list[tuple[str, str | None, str, dict]] = [
    ("login", None, "/login/", DESKTOP),
    ("front-desk-home", "frontdesk", "/", DESKTOP),
    ("registration", "frontdesk", "/patients/new/", DESKTOP),
    ("calendar-day", "frontdesk", "/calendar/", DESKTOP),
    ("booking", "frontdesk", "/calendar/book/?patient=1", DESKTOP),
    ("practitioner-home", "mlin", "/", DESKTOP),
    ("patient-chart", "mlin", "/patients/1/", DESKTOP),
    ("clinical-record", "mlin", "/patients/1/clinical/", DESKTOP),
    ("screening", "mlin", "/patients/1/screenings/7/", DESKTOP),
    ("medication-lists", "mlin", "/patients/1/lists/", DESKTOP),
    ("needling-check", "mlin", "/patients/1/needling-check/", DESKTOP),
    ("treatment-plan", "mlin", "/patients/1/episodes/7/plan/", DESKTOP),
    ("session-note", "mlin", "/patients/1/sessions/3/", DESKTOP),
    ("outcomes", "mlin", "/patients/1/outcomes/", DESKTOP),
    ("dashboard", "admin", "/insights/", DESKTOP),
    ("clinic-admin", "admin", "/clinic/", DESKTOP),
    ("staff", "admin", "/clinic/staff/", DESKTOP),
    ("audit-log", "admin", "/clinic/audit/", DESKTOP),
    ("patient-account", "admin", "/patients/1/account/", DESKTOP),
    ("superbill", "admin", "/patients/1/superbill/", DESKTOP),
    ("takings", "frontdesk", "/billing/takings/", DESKTOP),
    ("patient-home-phone", "patient", "/", PHONE),
    ("patient-progress-phone", "patient", "/portal/progress/", PHONE),
    ("patient-booking-phone", "patient", "/portal/book/", PHONE),
    ("online-booking-phone", None, "/portal/book/riverside-demo/new/", PHONE),
]
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]


def main() -> int:
    from playwright.sync_api import sync_playwright

    base = os.environ.get("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    password = os.environ.get("DEMO_PASSWORD", "acuback-demo")
    OUT.mkdir(parents=True, exist_ok=True)
    failed = []
    with sync_playwright() as play:
        browser = play.chromium.launch(
            executable_path=os.environ.get("ACUBACK_CHROMIUM", "/usr/bin/chromium"),
            args=BROWSER_ARGS)
        for name, who, path, window in SHOTS:
            context = browser.new_context(viewport=window)
            page = context.new_page()
            if who:
                page.goto(f"{base}/login/")
                page.fill("input[name=username]", who)
                page.fill("input[name=password]", password)
                page.click("button[type=submit]")
            response = page.goto(f"{base}{path}")
            if response is None or response.status >= 400:
                failed.append(f"{name}: {path} answered {response and response.status}")
            page.screenshot(path=str(OUT / f"{name}.jpg"), type="jpeg", quality=70)
            context.close()
        browser.close()
    print(f"{len(SHOTS) - len(failed)} screenshots in {OUT}")
    for problem in failed:
        print(problem, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
