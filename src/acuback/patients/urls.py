from django.urls import path

from . import views

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("new/", views.patient_create, name="patient_create"),
    path("search.json", views.patient_search_json, name="patient_search_json"),
    path("<id:pk>/", views.patient_chart, name="patient_chart"),
    path("<id:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("<id:pk>/clinical/", views.patient_clinical, name="patient_clinical"),
    path("<id:pk>/archive/", views.patient_archive, name="patient_archive"),
    path("<id:pk>/break-glass/", views.break_glass, name="break_glass"),
    path("<id:pk>/corrections/<id:correction_pk>/respond/", views.correction_respond,
         name="correction_respond"),
    path("<id:pk>/consents/", views.consent_create, name="consent_create"),
    path(
        "<id:pk>/consents/<id:consent_pk>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
]
