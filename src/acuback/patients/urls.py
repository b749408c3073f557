from django.urls import path

from . import views

urlpatterns = [
    path("", views.patient_list, name="patient_list"),
    path("new/", views.patient_create, name="patient_create"),
    path("search.json", views.patient_search_json, name="patient_search_json"),
    path("<int:pk>/", views.patient_chart, name="patient_chart"),
    path("<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("<int:pk>/clinical/", views.patient_clinical, name="patient_clinical"),
    path("<int:pk>/archive/", views.patient_archive, name="patient_archive"),
    path("<int:pk>/break-glass/", views.break_glass, name="break_glass"),
    path("<int:pk>/corrections/<int:correction_pk>/respond/", views.correction_respond,
         name="correction_respond"),
    path("<int:pk>/consents/", views.consent_create, name="consent_create"),
    path(
        "<int:pk>/consents/<int:consent_pk>/withdraw/",
        views.consent_withdraw,
        name="consent_withdraw",
    ),
]
