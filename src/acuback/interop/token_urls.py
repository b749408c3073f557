from django.urls import path

from . import app_views, token_views

urlpatterns = [
    path("api-tokens/", token_views.token_list, name="api_tokens"),
    path("api-tokens/<id:pk>/revoke/", token_views.token_revoke, name="api_token_revoke"),
    path("apps/", app_views.app_list, name="smart_apps"),
    path("apps/<id:pk>/revoke/", app_views.app_revoke, name="smart_app_revoke"),
    path("apps/authorizations/<id:pk>/revoke/", app_views.authorization_revoke,
         name="smart_authorization_revoke"),
]
