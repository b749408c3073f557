from django.urls import path

from . import views

urlpatterns = [
    path("<int:pk>/episodes/new/", views.episode_edit, name="episode_create"),
    path("<int:pk>/episodes/<int:episode_pk>/edit/", views.episode_edit, name="episode_edit"),
    path("<int:pk>/episodes/<int:episode_pk>/screenings/", views.screening_new,
         name="screening_new"),
    path("<int:pk>/screenings/<int:screening_pk>/", views.screening_detail,
         name="screening_detail"),
    path("<int:pk>/screenings/<int:screening_pk>/letter/", views.referral_letter,
         name="referral_letter"),
    path("<int:pk>/screenings/<int:screening_pk>/clear/", views.referral_clear,
         name="referral_clear"),
    path("<int:pk>/screenings/<int:screening_pk>/acknowledge/", views.precautions_acknowledge,
         name="precautions_acknowledge"),
    path("<int:pk>/needling-check/", views.needling_check, name="needling_check"),
    path("<int:pk>/lists/", views.patient_lists, name="patient_lists"),
    path("<int:pk>/lists/review/", views.lists_review, name="lists_review"),
    path("<int:pk>/lists/<str:list_kind>/add/", views.list_entry_add, name="list_entry_add"),
    path("<int:pk>/lists/<str:list_kind>/<int:entry_pk>/<str:action>/", views.list_entry_change,
         name="list_entry_change"),
]
