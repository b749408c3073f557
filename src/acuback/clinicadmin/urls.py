from django.urls import path

from . import views

urlpatterns = [
    path("", views.overview, name="clinic_admin"),
    path("staff/", views.staff_list, name="clinic_staff"),
    path("staff/<id:pk>/", views.staff_detail, name="clinic_staff_detail"),
    path("invitations/", views.invitations, name="clinic_invitations"),
    path("invitations/<id:pk>/cancel/", views.invitation_cancel,
         name="clinic_invitation_cancel"),
    path("invitations/<id:pk>/resend/", views.invitation_resend,
         name="clinic_invitation_resend"),
    path("staff/<id:pk>/deactivate/", views.staff_deactivate, name="clinic_staff_deactivate"),
    path("staff/<id:pk>/reactivate/", views.staff_reactivate, name="clinic_staff_reactivate"),
    path("staff/<id:pk>/two-factor-reset/", views.staff_two_factor_reset,
         name="clinic_staff_2fa_reset"),
    path("staff/<id:pk>/unlock/", views.staff_unlock, name="clinic_staff_unlock"),
    path("staff/<id:pk>/password/", views.staff_password, name="clinic_staff_password"),
    path("consent-forms/", views.consent_forms, name="clinic_consent_forms"),
    path("questionnaires/", views.questionnaire_schedule, name="clinic_questionnaires"),
    path("audit/", views.audit_log, name="clinic_audit"),
    path("audit/export.csv", views.audit_csv, name="clinic_audit_csv"),
    path("payers/<id:pk>/ncd-list/", views.payer_ncd_list, name="clinic_payer_ncd_list"),
    path("<slug:section>/", views.rows, name="clinic_rows"),
    path("<slug:section>/<id:pk>/", views.row_edit, name="clinic_row_edit"),
]
