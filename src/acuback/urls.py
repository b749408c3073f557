from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from acuback.accounts import two_factor
from acuback.accounts import views as account_views
from acuback.accounts.views import LoginView
from acuback.billing import urls as billing_urls
from acuback.insights import urls as insights_urls
from acuback.interop import smart_views
from acuback.interop import views as interop_views
from acuback.outcomes import urls as outcome_urls
from acuback.web import views as web_views
from acuback.web.api import api

urlpatterns = [
    path("", web_views.home, name="home"),
    path("visits/<id:appointment_pk>/send/<str:kind>/", web_views.visit_send_link,
         name="visit_send_link"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/ping/", web_views.ping, name="ping"),
    path("account/password/", account_views.password_change, name="password_change"),
    path("account/invitations/", account_views.staff_invitations, name="staff_invitations"),
    path("account/invitations/<id:pk>/accept/", account_views.staff_invitation_accept,
         name="staff_invitation_accept"),
    path("account/password/reset/", account_views.password_reset, name="password_reset"),
    path("account/password/reset/<uidb64>/<token>/",
         account_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("clinic/", include("acuback.clinicadmin.urls")),
    path("dev/mailbox/", web_views.mailbox, name="mailbox"),
    path("account/2fa/setup/", two_factor.setup, name="two_factor_setup"),
    path("account/2fa/verify/", two_factor.verify, name="two_factor_verify"),
    path("account/2fa/recovery/", two_factor.recovery, name="two_factor_recovery"),
    path("patients/", include("acuback.patients.urls")),
    path("patients/", include("acuback.screening.urls")),
    path("patients/", include("acuback.treatment.urls")),
    path("patients/", include("acuback.outcomes.urls")),
    *outcome_urls.public_urlpatterns,
    path("portal/", include("acuback.portal.urls")),
    path("practitioners/", include("acuback.accounts.urls")),
    path("calendar/", include("acuback.scheduling.urls")),
    path("billing/", include("acuback.billing.urls")),
    path("insights/", include("acuback.insights.urls")),
    path("patients/", include(billing_urls.patient_urlpatterns)),
    path("patients/", include(insights_urls.patient_urlpatterns)),
    path("api/", api.urls),
    # SMART App Launch 2.0 and Backend Services (docs/fhir.md, "Apps: SMART").
    path(".well-known/smart-configuration", smart_views.smart_configuration,
         name="smart_configuration"),
    path("oauth/authorize/", smart_views.SmartAuthorizeView.as_view(), name="oauth_authorize"),
    path("oauth/token/", smart_views.TokenEndpoint.as_view(), name="oauth_token"),
    path("oauth/revoke/", smart_views.RevokeEndpoint.as_view(), name="oauth_revoke"),
    path("fhir/", include("acuback.interop.urls")),
    path("fhir", interop_views.transaction, name="fhir_base"),  # the base without its slash
    path("settings/", include("acuback.interop.token_urls")),
    path("admin/", admin.site.urls),
]

handler403 = "acuback.web.errors.forbidden"
handler404 = "acuback.web.errors.not_found"
handler500 = "acuback.web.errors.server_error"
