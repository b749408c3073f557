from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from acuback.audit.services import audit_record

from .models import Credential, Practitioner


def credential_add(*, practitioner: Practitioner, data: dict, request: HttpRequest) -> Credential:
    with transaction.atomic():
        credential = Credential(practitioner=practitioner, **data)
        if credential.verified_on:
            credential.verified_by = request.user
        credential.full_clean()
        credential.save()
        audit_record(request=request, action="credential.add", clinic=practitioner.clinic_id,
                     target=credential, detail={"kind": credential.kind})
    return credential
