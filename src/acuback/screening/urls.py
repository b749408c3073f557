from django.urls import path

from . import views

urlpatterns = [
    path("<id:pk>/episodes/new/", views.episode_edit, name="episode_create"),
    path("<id:pk>/episodes/<id:episode_pk>/edit/", views.episode_edit, name="episode_edit"),
    path("<id:pk>/episodes/<id:episode_pk>/screenings/", views.screening_new,
         name="screening_new"),
    path("<id:pk>/screenings/<id:screening_pk>/", views.screening_detail,
         name="screening_detail"),
    path("<id:pk>/screenings/<id:screening_pk>/letter/", views.referral_letter,
         name="referral_letter"),
    path("<id:pk>/screenings/<id:screening_pk>/clear/", views.referral_clear,
         name="referral_clear"),
    path("<id:pk>/screenings/<id:screening_pk>/acknowledge/", views.precautions_acknowledge,
         name="precautions_acknowledge"),
    path("<id:pk>/needling-check/", views.needling_check, name="needling_check"),
    path("<id:pk>/lists/", views.patient_lists, name="patient_lists"),
    path("<id:pk>/lists/review/", views.lists_review, name="lists_review"),
    path("<id:pk>/lists/<str:list_kind>/add/", views.list_entry_add, name="list_entry_add"),
    path("<id:pk>/lists/<str:list_kind>/<id:entry_pk>/<str:action>/", views.list_entry_change,
         name="list_entry_change"),
]
