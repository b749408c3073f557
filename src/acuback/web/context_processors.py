from __future__ import annotations

from django.http import HttpRequest

from acuback import __version__
from acuback.accounts import policy
from acuback.web import operator_admin
from acuback.web.links import url_format


def navigation(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    from django.conf import settings

    if (settings.ACUBACK_REQUIRE_2FA and hasattr(user, "is_verified") and not user.is_verified()
            and (user.is_superuser or policy.is_staff_member(user))):
        return {"nav": []}  # nothing to navigate to until the second factor is given
    nav = [("home", "Home")]
    if policy.can_anywhere(user, "patient.view"):
        nav.append(("patient_list", "Patients"))
    if policy.can_anywhere(user, "schedule.view"):
        nav.append(("calendar_day", "Calendar"))
    if policy.can_anywhere(user, "patient.view_clinical"):
        nav.append(("insights_dashboard", "Outcomes"))
    if policy.can_anywhere(user, "billing.export") or policy.can_anywhere(user,
                                                                           "billing.charge"):
        nav.append(("billing_home", "Billing"))
    if policy.can_anywhere(user, "registry.view"):
        nav.append(("registry", "Practitioners"))
    if policy.can_anywhere(user, "clinic.manage"):
        nav.append(("clinic_admin", "Clinic admin"))
        nav.append(("api_tokens", "API tokens"))
    if operator_admin.is_operator(user):
        nav.append(("admin:index", "Platform admin"))
    # Admins see which release they run (support, upgrades); others have no use for it.
    version = __version__ if (operator_admin.is_operator(user)
                              or policy.can_anywhere(user, "clinic.manage")) else None
    # Each link as (url, label, is the current page): the URLs reversed once per process
    # (nine {% url %} tags were 0.4 ms of every page).
    current = getattr(getattr(request, "resolver_match", None), "url_name", None)
    return {"nav": [(url_format(name), label, name == current) for name, label in nav],
            "acuback_version": version}
