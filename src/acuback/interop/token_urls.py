from django.urls import path

from . import token_views

urlpatterns = [
    path("api-tokens/", token_views.token_list, name="api_tokens"),
    path("api-tokens/<id:pk>/revoke/", token_views.token_revoke, name="api_token_revoke"),
]
