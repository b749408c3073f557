from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from acuback.accounts.validators import validate_jurisdiction, validate_npi, validate_time_zone


def test_the_cms_example_npi_is_valid():
    validate_npi("1234567893")  # CMS's worked example of the NPI check digit


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "12345678931", "12345678a3"])
def test_a_malformed_or_mistyped_npi_is_refused(npi):
    with pytest.raises(ValidationError):
        validate_npi(npi)


@pytest.mark.parametrize("code", ["US-CA", "GB", "GB-SCT", "us-or"])
def test_iso_jurisdictions_are_accepted(code):
    validate_jurisdiction(code)


@pytest.mark.parametrize("code", ["California", "U", "US_CA", "US-CALIF"])
def test_free_text_jurisdictions_are_refused(code):
    with pytest.raises(ValidationError):
        validate_jurisdiction(code)


def test_unknown_time_zone_is_refused():
    validate_time_zone("Europe/Berlin")
    with pytest.raises(ValidationError):
        validate_time_zone("Mars/Olympus")
