from django.urls import path

from . import views

urlpatterns = [
    path("", views.calendar_day, name="calendar_day"),
    path("week/", views.calendar_week, name="calendar_week"),
    path("book/", views.appointment_book, name="appointment_book"),
    path("appointments/<id:appointment_pk>/move/", views.appointment_move,
         name="appointment_move"),
    path("appointments/<id:appointment_pk>/<str:action>/", views.appointment_action,
         name="appointment_action"),
]
