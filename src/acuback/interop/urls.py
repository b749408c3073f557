from django.urls import path, re_path

from . import smart_views, views

# The FHIR base is /fhir. Fixed names first: "metadata" is not a resource type. Ids are
# read as text and checked by acuback.row_ids.row_id (the rule of the <id:> converter), so
# a FHIR id that is not canonical answers an OperationOutcome, not the web's 404 page.
urlpatterns = [
    path("metadata", views.metadata, name="fhir_metadata"),
    path(".well-known/smart-configuration", smart_views.smart_configuration,
         name="fhir_smart_configuration"),
    path("$export", views.export_kickoff, name="fhir_export"),
    path("bulk-status/<str:pk>", views.export_status, name="fhir_export_status"),
    path("bulk-files/<str:pk>/<str:name>", views.export_file, name="fhir_export_file"),
    path("SearchParameter/<str:pk>", views.search_parameter_read,
         name="fhir_search_parameter"),
    path("Patient/$export", views.patient_export_kickoff, name="fhir_patient_export"),
    path("Group/<str:pk>/$export", views.group_export_kickoff, name="fhir_group_export"),
    path("Group/<str:pk>", views.group_read, name="fhir_group_read"),
    path("Patient/<str:pk>/$everything", views.patient_everything, name="fhir_everything"),
    path("<str:resource_type>/_search", views.search_post, name="fhir_search_post"),
    path("<str:resource_type>/<str:pk>", views.read, name="fhir_read"),
    path("<str:resource_type>", views.search_type, name="fhir_search"),
    path("", views.transaction, name="fhir_transaction"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="fhir_not_found"),
]
