from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_a_patient_completes_a_link_on_a_phone_and_the_chart_shows_the_point(world, browser,
                                                                             live_server, log_in,
                                                                             page):
    from acuback.outcomes import services
    from tests.factories import make_episode, request_for

    episode = make_episode(world.patient, world.practitioner)
    request = request_for(world.practitioner)
    services.response_save(patient=world.patient, episode=episode, instrument_id="odi",
                           time_point="baseline", answers=dict.fromkeys(range(1, 11), 3),
                           submit=True, completed_by="staff", request=request)
    # A patient is sent the ODI only once the clinic's licensed wording is loaded.
    services.text_load(clinic=world.clinic, data={
        "instrument": "odi", "copyright": "© Licensed for the test",
        "items": {str(n): {"text": f"Licensed ODI section {n}"} for n in range(1, 11)}})
    link = services.link_create(episode=episode, instrument_ids=["odi", "nrs"],
                                time_point="review", request=request,
                                delivery="in_person")
    token = services.link_token(link)

    phone_context = browser.new_context(base_url=live_server.url,
                                        viewport={"width": 390, "height": 844})
    phone = phone_context.new_page()
    phone.goto(f"/q/{token}/")
    assert "Done 0 of 2" in phone.text_content("main")
    phone.click("text=Start: Oswestry Disability Index")
    assert "Licensed ODI section 1" in phone.text_content("main")
    assert "Paraphrased topics" not in phone.text_content("main")
    for n in range(1, 6):
        phone.check(f"input[name=item_{n}][value='1']")
    phone.click("button:has-text('Submit')")  # incomplete: refused, nothing lost
    assert "Not complete yet" in phone.text_content(".errorbox")
    assert phone.is_checked("input[name=item_3][value='1']")
    for n in range(6, 11):
        phone.check(f"input[name=item_{n}][value='1']")
    phone.click("button:has-text('Submit')")
    assert "Done 1 of 2" in phone.text_content("main")
    phone.click("text=Start: Pain numeric rating scale")
    phone.check("input[name=item_1][value='3']")
    phone.click("button:has-text('Submit')")
    assert "all your answers are with the clinic" in phone.text_content("main")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    phone.goto(f"/q/{token}/")
    assert "already been used" in phone.text_content("main")
    phone_context.close()

    log_in("alpha_prac")
    page.goto(f"/patients/{world.patient.pk}/outcomes/")
    text = page.text_content("main")
    assert "Oswestry Disability Index" in text and "improving" in text
    table = page.locator("table:has(caption:text('Oswestry Disability Index scores'))")
    assert table.locator("tbody tr").count() == 2
    assert "20.0" in table.text_content()  # the patient's new point: 10 sections at 1 = 20 %
    assert page.locator(".chart svg").count() >= 1

    # Send a new link from the page: nothing ticked is refused, then one questionnaire.
    page.click("summary:has-text('Send the patient a questionnaire link')")
    page.click("button:has-text('Create link')")
    assert "Choose the questionnaires" in page.text_content("main")
    page.click("summary:has-text('Send the patient a questionnaire link')")
    page.check(f"#link{episode.pk}-i0")  # by its own label too:
    assert page.is_checked("label:has-text('Pain numeric rating scale') input")
    page.select_option(f"#link{episode.pk}-tp", "discharge")
    page.click("button:has-text('Create link')")
    # No address on Alice's record: the link is handed over in person, by this user.
    assert "Hand this link to Alice now: " in page.text_content("main")
    from acuback.outcomes.models import CollectionLink

    newest = CollectionLink.objects.order_by("-pk").first()
    assert newest.instruments == ["nrs"] and newest.time_point == "discharge"
    assert newest.delivery == "in_person" and newest.sent_to == ""
