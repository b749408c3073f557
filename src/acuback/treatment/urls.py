from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/episodes/<int:episode_pk>/plan/", views.plan_edit, name="plan_edit"),
    path("<int:pk>/episodes/<int:episode_pk>/sessions/", views.session_new, name="session_new"),
    path("<int:pk>/sessions/<int:session_pk>/", views.session_detail, name="session_detail"),
    path("<int:pk>/sessions/<int:session_pk>/addenda/", views.addendum_create,
         name="addendum_create"),
    path("<int:pk>/sessions/<int:session_pk>/incident/", views.needle_incident,
         name="needle_incident"),
    path("<int:pk>/adverse-events/new/", views.adverse_event_new, name="adverse_event_new"),
    path("<int:pk>/adverse-events/<int:event_pk>/acknowledge/", views.adverse_event_acknowledge,
         name="adverse_event_acknowledge"),
]
