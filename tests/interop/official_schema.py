"""The official FHIR R4 JSON schema (HL7's, kept in fhir_r4_schema/ with its provenance),
run through python-jsonschema: a validator independent of the fhir.resources models the
product checks its output with."""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path

from jsonschema import Draft6Validator, ValidationError, validators

SCHEMA_FILE = Path(__file__).parent / "fhir_r4_schema" / "fhir.schema.json"
SCHEMA_SHA256 = "15b9548af6412c44faaa411456e0652542de286fd1c58ef882b09bdc8947909d"


@cache
def schema() -> dict:
    raw = SCHEMA_FILE.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SCHEMA_SHA256, "not the recorded copy"
    return json.loads(raw)


@cache
def _ecma(pattern: str) -> re.Pattern:
    # JSON Schema patterns are ECMA 262, whose `$` is the end of the text; Python's `$`
    # also matches before a final newline, which would let "uri\n" through.
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _ecma(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


ECMAPatternDraft6Validator = validators.extend(Draft6Validator, {"pattern": _pattern})


@cache
def _validator(definition: str) -> Draft6Validator:
    # The schema declares draft-06; each resource is checked against its own definition
    # (the root's oneOf over every type reports a mismatch as "not valid under any").
    return ECMAPatternDraft6Validator({"$ref": f"#/definitions/{definition}",
                            "definitions": schema()["definitions"]})


def schema_errors(resource: dict) -> list[str]:
    """Each way `resource` breaks the R4 schema, as 'Type/id path: message'. A Bundle's
    entries are checked each against its own type, so that an error names the element."""
    resource_type = resource.get("resourceType")
    if resource_type not in schema()["discriminator"]["mapping"]:
        return [f"{resource_type!r} is not an R4 resource type"]
    label = f"{resource_type}/{resource.get('id')}"
    errors = []
    for e in _validator(resource_type).iter_errors(resource):
        path = list(e.absolute_path)
        if resource_type == "Bundle" and path[:1] == ["entry"] and path[2:3] == ["resource"]:
            continue  # reported below, by the entry's own type
        errors.append(f"{label} {'.'.join(map(str, path)) or '(root)'}: {e.message}")
    if resource_type == "Bundle":
        for item in resource.get("entry", []):
            if isinstance(item, dict) and isinstance(item.get("resource"), dict):
                errors += schema_errors(item["resource"])
    return errors
