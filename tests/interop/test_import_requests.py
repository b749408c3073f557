"""What a transaction asks for is honoured or refused (issue #30 re-test): a chunked body
is read, entry requests the import does not do are refused (400), codes outside their
required value set and NPIs in other digits or already used are refused (422)."""

from __future__ import annotations

import io
import json

import pytest
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections

from acuback.accounts.models import Practitioner
from acuback.interop.models import Scope
from acuback.interop.views import MAX_IMPORT_BYTES
from acuback.patients.models import Patient
from tests.interop.test_import import condition_resource, patient_resource, transaction


@pytest.fixture
def writer(record, make_token):
    return make_token(record.admin, record.clinic, scopes=(Scope.READ, Scope.WRITE))


def _chunked_post(token: str, body: bytes):
    """POST /fhir as gunicorn hands a chunked request to Django: no Content-Length, the
    input stream ends where the body ends (wsgi.input_terminated)."""
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/fhir/", "SERVER_NAME": "testserver",
               "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
               "wsgi.input_terminated": True, "wsgi.errors": io.StringIO(),
               "CONTENT_TYPE": "application/fhir+json", "HTTP_TRANSFER_ENCODING": "chunked",
               "HTTP_AUTHORIZATION": f"Bearer {token}", "REMOTE_ADDR": "127.0.0.1"}
    started = {}
    # As Django's test client does: the test's database connection stays open.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        response = WSGIHandler()(environ, lambda status, headers: started.update(status=status))
        content = b"".join(response)
        response.close()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
    return int(started["status"].split()[0]), json.loads(content)


def test_a_chunked_transaction_is_read(record, writer):
    status, body = _chunked_post(writer, json.dumps(transaction(patient_resource())).encode())
    assert status == 200, body
    assert Patient.objects.filter(family_name="Quinn").exists()


def test_a_chunked_body_over_the_limit_is_413(record, writer):
    status, body = _chunked_post(writer, b" " * (MAX_IMPORT_BYTES + 1))
    assert status == 413 and "MiB" in body["issue"][0]["diagnostics"]


def _entries(*resources):
    return transaction(*resources)


@pytest.mark.parametrize("change, named", [
    (lambda b: b["entry"][1].update(fullUrl=b["entry"][0]["fullUrl"]), "fullUrl"),
    (lambda b: b["entry"][0]["request"].update(ifNoneExist="identifier=x|1"), "ifNoneExist"),
    (lambda b: b["entry"][0]["request"].update(ifMatch='W/"1"'), "ifMatch"),
    (lambda b: b["entry"][0]["request"].update(ifNoneMatch="*"), "ifNoneMatch"),
    (lambda b: b["entry"][0]["request"].update(ifModifiedSince="2026-01-01T00:00:00Z"),
     "ifModifiedSince"),
    (lambda b: b["entry"][0]["request"].update(url="Condition"), "request.url"),
    (lambda b: b["entry"][0]["request"].update(url="Patient/12"), "request.url"),
])
def test_what_an_entry_asks_that_the_import_does_not_do_is_400(record, fhir, writer, change,
                                                                named):
    bundle = _entries(patient_resource(), patient_resource(name=[{"family": "Other",
                                                                  "given": ["Ann"]}]))
    change(bundle)
    status, body, _ = fhir("POST", "", writer, body=bundle)
    assert status == 400, body
    assert any(named in (i["diagnostics"] + " ".join(i.get("expression", [])))
               for i in body["issue"])
    assert not Patient.objects.filter(family_name__in=["Quinn", "Other"]).exists()


@pytest.mark.parametrize("overrides, named", [
    ({"gender": "F"}, "gender"), ({"gender": "Female"}, "gender"),
    ({"telecom": [{"system": "e-mail", "value": "a@example.com"}]}, "telecom[0].system"),
    ({"telecom": [{"system": "phone", "value": "555", "use": "cell"}]}, "telecom[0].use"),
    ({"name": [{"family": "Quinn", "given": ["Rosa"], "use": "legal"}]}, "name[0].use"),
    ({"address": [{"city": "Salem", "use": "house"}]}, "address[0].use"),
])
def test_a_code_outside_its_required_value_set_is_refused(record, fhir, writer, overrides,
                                                          named):
    status, body, _ = fhir("POST", "", writer, body=transaction(patient_resource(**overrides)))
    assert status == 422, body
    assert any(named in i["diagnostics"] for i in body["issue"] if i["severity"] == "error")


def test_a_clinical_status_outside_its_value_set_is_refused(record, fhir, writer):
    condition = {**condition_resource(), "clinicalStatus": {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "done"}]}}
    status, body, _ = fhir("POST", "", writer, body=transaction(patient_resource(), condition))
    assert status == 422 and "clinicalStatus" in json.dumps(body)


def _practitioner(npi: str, name: str = "Dr New Person") -> dict:
    return {"resourceType": "Practitioner", "name": [{"text": name}],
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": npi}]}


def test_an_npi_in_other_digits_is_refused(record, fhir, writer):
    status, body, _ = fhir("POST", "", writer, body=transaction(_practitioner("١٢٣٤٥٦٧٨٩٣")))
    assert status == 422 and "NPI" in json.dumps(body)
    assert not Practitioner.objects.filter(display_name="Dr New Person").exists()


def test_an_npi_of_another_practitioner_of_the_clinic_is_refused(record, fhir, writer):
    Practitioner.objects.filter(pk=record.practitioner_record.pk).update(npi="1234567893")
    status, body, _ = fhir("POST", "", writer, body=transaction(_practitioner("1234567893")))
    assert status == 422 and "1234567893" in json.dumps(body)
