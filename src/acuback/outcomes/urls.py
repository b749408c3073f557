from django.urls import path

from . import views

urlpatterns = [
    path("<id:pk>/outcomes/", views.patient_outcomes, name="patient_outcomes"),
    path("<id:pk>/episodes/<id:episode_pk>/outcomes/<str:instrument_id>/",
         views.response_enter, name="response_enter"),
    path("<id:pk>/episodes/<id:episode_pk>/outcome-link/", views.link_send, name="link_send"),
    path("<id:pk>/responses/<id:response_pk>/correct/", views.response_correct,
         name="response_correct"),
    path("<id:pk>/outcome-alerts/<id:alert_pk>/acknowledge/", views.alert_acknowledge,
         name="outcome_alert_acknowledge"),
]

public_urlpatterns = [
    path("q/thanks/", views.questionnaire_thanks, name="questionnaire_thanks"),
    path("portal/questionnaires/<id:episode_pk>/<str:time_point>/",
         views.portal_questionnaires, name="portal_questionnaires"),
    path("q/<str:token>/", views.questionnaire_link, name="questionnaire_link"),
    path("q/<str:token>/<str:instrument_id>/", views.questionnaire_link_item,
         name="questionnaire_link_item"),
]
