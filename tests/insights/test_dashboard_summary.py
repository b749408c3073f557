"""The outcomes dashboard opens with a summary a clinic owner reads in a minute: three
to five headline figures, each with a sentence saying what it means and what it is
counted over; the detail below (issue #28 §8)."""

from __future__ import annotations

import re

from django.urls import reverse

from tests.insights.test_dashboard import cohort  # noqa: F401


def test_the_dashboard_opens_with_headlines_that_say_what_they_mean(cohort, login):  # noqa: F811
    page = login(cohort.admin).get(reverse("insights_dashboard")).content.decode()
    summary = page.index('id="summary"')
    assert summary < page.index('id="responders"') and summary < page.index('id="evidence"')
    section = page[summary:page.index("</section>", summary)]
    figures = re.findall(r"<dt>([^<]+)</dt><dd><strong class=\"figure\">([^<]+)</strong>"
                         r" ([^<]+)</dd>", section)
    assert 3 <= len(figures) <= 5, section
    by_label = {label: (figure, meaning) for label, figure, meaning in figures}
    # The cohort: 3 episodes with a pain score at baseline and review, 1 responder.
    figure, meaning = by_label["Pain (NRS) at review"]
    assert figure == "33 %" and "1 of the 3 episodes" in meaning and "MCID" in meaning
    assert "No episode has a baseline and a review score" in by_label["Function (ODI) at review"][1]
    assert "per 1,000 signed sessions" in by_label["Adverse events"][1] or \
        "No signed session" in by_label["Adverse events"][1]
    assert by_label["Open episodes"][0] == "4"
