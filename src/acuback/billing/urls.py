from django.urls import path

from . import views

urlpatterns = [
    path("", views.billing_home, name="billing_home"),
    path("fees/", views.fee_schedule, name="fee_schedule"),
    path("claims/", views.claim_export, name="claim_export"),
]

patient_urlpatterns = [
    path("<id:pk>/superbill/", views.patient_superbill, name="patient_superbill"),
]
