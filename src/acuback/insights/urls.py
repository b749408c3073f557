from django.urls import path

from . import dashboard, views

urlpatterns = [
    path("", dashboard.dashboard, name="insights_dashboard"),
    path("research-export/", dashboard.research_export, name="research_export"),
]

patient_urlpatterns = [
    path("<id:pk>/episodes/<id:episode_pk>/report/<str:kind>/", views.episode_report,
         name="episode_report"),
]
