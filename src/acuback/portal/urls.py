from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.portal_login, name="portal_login"),
    path("magic/<str:token>/", views.portal_magic, name="portal_magic"),
    path("book/", views.portal_book, name="portal_book"),
    path("appointments/<id:appointment_pk>/", views.portal_appointment,
         name="portal_appointment"),
    path("appointments/<id:appointment_pk>/calendar.ics", views.portal_appointment_ics,
         name="portal_appointment_ics"),
    path("book/calendar/<str:token>/appointment.ics", views.public_calendar_ics,
         name="public_calendar_ics"),
    path("appointments/<id:appointment_pk>/cancel/", views.portal_cancel,
         name="portal_cancel"),
    path("appointments/<id:appointment_pk>/move/", views.portal_reschedule,
         name="portal_reschedule"),
    path("progress/", views.portal_progress, name="portal_progress"),
    path("consents/", views.portal_consents, name="portal_consents"),
    path("record/", views.portal_record, name="portal_record"),
    path("record.fhir.json", views.portal_record_fhir, name="portal_record_fhir"),
    path("corrections/", views.portal_corrections, name="portal_corrections"),
    path("intake/", views.portal_intake, name="portal_intake"),
    path("book/<slug:clinic_slug>/new/", views.public_book, name="public_book"),
    path("book/confirm/<str:token>/", views.public_book_confirm, name="public_book_confirm"),
]
