"""/api/v1/directory/: the read-only SCIM 2.0 endpoint (module "directory": IT staff tokens only)."""

from django.urls import path

from groupware import api

app_name = "directory"

urlpatterns = [
    path("scim/v2/Users", api.ScimUsersView.as_view(), name="scim_users"),
    path("scim/v2/Users/<int:person_id>", api.ScimUserView.as_view(), name="scim_user"),
    path("scim/v2/Groups", api.ScimGroupsView.as_view(), name="scim_groups"),
    path("scim/v2/Groups/<slug:code>", api.ScimGroupView.as_view(), name="scim_group"),
]
