from django.urls import path

from . import views

urlpatterns = [
    path("<id:pk>/episodes/<id:episode_pk>/plan/", views.plan_edit, name="plan_edit"),
    path("<id:pk>/episodes/<id:episode_pk>/sessions/", views.session_new, name="session_new"),
    path("<id:pk>/sessions/<id:session_pk>/", views.session_detail, name="session_detail"),
    path("<id:pk>/sessions/<id:session_pk>/addenda/", views.addendum_create,
         name="addendum_create"),
    path("<id:pk>/sessions/<id:session_pk>/incident/", views.needle_incident,
         name="needle_incident"),
    path("<id:pk>/adverse-events/new/", views.adverse_event_new, name="adverse_event_new"),
    path("<id:pk>/adverse-events/<id:event_pk>/acknowledge/", views.adverse_event_acknowledge,
         name="adverse_event_acknowledge"),
]
