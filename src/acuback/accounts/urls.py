from django.urls import path

from . import views

urlpatterns = [
    path("", views.registry, name="registry"),
    path("<id:pk>/", views.practitioner_detail, name="practitioner_detail"),
]
