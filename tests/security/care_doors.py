"""The doors a care-rule test tries for one patient, and what "closed" looks like there
(shared by the self-booking tests)."""

from __future__ import annotations

import json

from django.urls import reverse


def doors(w) -> dict[str, str]:
    return {
        "chart": reverse("patient_clinical", args=[w.patient.pk]),
        "pdf": reverse("episode_report", args=[w.patient.pk, w.episode.pk, "progress"])
        + "?format=pdf",
        "fhir_read": f"/fhir/Encounter/{w.session.pk}",
        "fhir_everything": f"/fhir/Patient/{w.patient.pk}/$everything",
        "api_scores": f"/api/patients/{w.patient.pk}/scores",
    }


def closed(response) -> bool:
    """The door asks for the glass: a web page sends to the break-the-glass page, an API
    refuses (404, as for an id that does not exist)."""
    if response.status_code == 302:
        return "/break-glass/" in response["Location"]
    return response.status_code == 404


def encounters_found(client, headers) -> int:
    return json.loads(client.get("/fhir/Encounter?_count=500", **headers).content)["total"]
