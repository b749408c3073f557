from django.urls import path

from . import views

urlpatterns = [
    path("", views.billing_home, name="billing_home"),
    path("fees/", views.fee_schedule, name="fee_schedule"),
    path("claims/", views.claim_export, name="claim_export"),
    path("takings/", views.takings_report, name="takings_report"),
    path("electronic-claims/", views.claims_page, name="claims_page"),
    path("electronic-claims/<id:claim_pk>/", views.claim_detail, name="claim_detail"),
    path("electronic-claims/batches/<id:batch_pk>/837p/", views.batch_download,
         name="batch_download"),
    path("electronic-claims/set-up/", views.claim_setup, name="claim_setup"),
    path("remittances/", views.remittances_page, name="remittances_page"),
    path("remittances/<id:remittance_pk>/", views.remittance_detail,
         name="remittance_detail"),
]

patient_urlpatterns = [
    path("<id:pk>/superbill/", views.patient_superbill, name="patient_superbill"),
    path("<id:pk>/account/", views.patient_account, name="patient_account"),
    path("<id:pk>/account/invoices/", views.invoice_issue_view, name="invoice_issue"),
    path("<id:pk>/account/invoices/<id:invoice_pk>/", views.invoice_document,
         name="invoice_document"),
    path("<id:pk>/account/invoices/<id:invoice_pk>/void/", views.invoice_void_view,
         name="invoice_void"),
    path("<id:pk>/account/payments/", views.payment_record_view, name="payment_record"),
    path("<id:pk>/account/payments/<id:payment_pk>/", views.payment_receipt,
         name="payment_receipt"),
    path("<id:pk>/account/packages/", views.package_sell_view, name="package_sell"),
    path("<id:pk>/coverage/", views.patient_coverage, name="patient_coverage"),
    path("<id:pk>/coverage/<id:plan_pk>/", views.patient_coverage, name="coverage_edit"),
    path("<id:pk>/abn/", views.abn_prepare, name="abn_prepare"),
    path("<id:pk>/abn/signed/", views.abn_record_view, name="abn_record"),
    path("<id:pk>/abn/<id:abn_pk>/scan/", views.abn_scan, name="abn_scan"),
    path("<id:pk>/account/statement/", views.patient_statement, name="patient_statement"),
]
