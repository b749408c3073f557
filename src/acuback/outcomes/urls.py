from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/outcomes/", views.patient_outcomes, name="patient_outcomes"),
    path("<int:pk>/episodes/<int:episode_pk>/outcomes/<str:instrument_id>/",
         views.response_enter, name="response_enter"),
    path("<int:pk>/episodes/<int:episode_pk>/outcome-link/", views.link_send, name="link_send"),
    path("<int:pk>/responses/<int:response_pk>/correct/", views.response_correct,
         name="response_correct"),
    path("<int:pk>/outcome-alerts/<int:alert_pk>/acknowledge/", views.alert_acknowledge,
         name="outcome_alert_acknowledge"),
]

public_urlpatterns = [
    path("q/thanks/", views.questionnaire_thanks, name="questionnaire_thanks"),
    path("portal/questionnaires/<int:episode_pk>/<str:time_point>/",
         views.portal_questionnaires, name="portal_questionnaires"),
    path("q/<str:token>/", views.questionnaire_link, name="questionnaire_link"),
    path("q/<str:token>/<str:instrument_id>/", views.questionnaire_link_item,
         name="questionnaire_link_item"),
]
