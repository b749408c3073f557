"""A clinic admin invites a colleague inside the application; the colleague chooses a
password from the e-mailed link and logs in."""

from __future__ import annotations

import re

from django.core import mail


def test_admin_invites_a_colleague_who_sets_a_password(page, log_in, world, live_server,
                                                       settings, browser):
    settings.ACUBACK_BASE_URL = live_server.url
    log_in(world.admin.username)
    page.click("nav >> text=Clinic admin")
    page.click(".subnav >> text=Staff")
    page.fill("#id_email", "nia@example.org")
    page.fill("#id_username", "nnew")
    page.fill("#id_first_name", "Nia")
    page.fill("#id_last_name", "New")
    page.check("input[name=roles][value=front_desk]")
    page.click("text=Send invitation")
    page.wait_for_selector("text=nia@example.org is invited")
    # Waiting for her acceptance: the invitation is listed, no account yet.
    assert page.locator("td >> text=nia@example.org").count() == 1
    [message] = mail.outbox
    link = re.search(r"(http\S+/account/password/reset/\S+)", message.body).group(1)
    assert link.startswith(live_server.url)

    colleague = browser.new_context(base_url=live_server.url).new_page()
    colleague.goto(link)
    colleague.fill("#id_new_password1", "nia-chooses-this-1")
    colleague.fill("#id_new_password2", "nia-chooses-this-1")
    colleague.click("text=Set password")
    colleague.wait_for_selector("text=Your password is set")
    colleague.fill("#id_username", "nnew")
    colleague.fill("#id_password", "nia-chooses-this-1")
    colleague.click("button[type=submit]")
    colleague.wait_for_load_state()
    colleague.goto("/account/invitations/")
    colleague.click("text=Accept and join")
    colleague.wait_for_selector("text=You are now on the staff")
    colleague.goto("/")
    colleague.wait_for_selector("nav >> text=Patients")
    assert colleague.locator("nav >> text=Clinic admin").count() == 0
    colleague.context.close()

    page.reload()
    assert page.locator("td >> text=active").count() >= 1
    page.click("text=nnew")
    page.click("text=Reset two-factor")
    page.wait_for_selector("text=set up a new one at their next log-in")
