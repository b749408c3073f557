from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from acuback.web.admin_scoping import ScopedAdmin

from .models import Clinic, Credential, Location, Membership, Practitioner, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin, ScopedAdmin):
    clinic_path = "memberships__clinic"
    can_delete_rows = False
    # The mobile number is where urgent safety alerts go by SMS.
    fieldsets = tuple(
        (name, {**opts, "fields": (*opts["fields"], "mobile_phone")})
        if name == "Personal info" else (name, opts)
        for name, opts in DjangoUserAdmin.fieldsets)

    def get_queryset(self, request):
        return ScopedAdmin.get_queryset(self, request).distinct()

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return ()
        # Only a superuser may grant superuser or Django permissions.
        return ("is_superuser", "groups", "user_permissions", "last_login", "date_joined")


@admin.register(Clinic)
class ClinicAdmin(ScopedAdmin):
    clinic_path = None
    list_display = ("name", "slug", "time_zone")

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser


@admin.register(Location)
class LocationAdmin(ScopedAdmin):
    list_display = ("name", "clinic", "jurisdiction", "time_zone", "is_active")


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ("user", "clinic", "role")
    list_filter = ("role",)
    can_delete_rows = True  # removing a role is how access is taken away


class CredentialInline(admin.TabularInline):
    model = Credential
    extra = 0
    can_delete = False
    fk_name = "practitioner"


@admin.register(Practitioner)
class PractitionerAdmin(ScopedAdmin):
    list_display = ("display_name", "profession", "clinic", "is_active")
    inlines = [CredentialInline]


@admin.register(Credential)
class CredentialAdmin(ScopedAdmin):
    clinic_path = "practitioner__clinic"
    list_display = ("practitioner", "kind", "jurisdiction", "status", "expires_on")
    list_filter = ("kind", "status")
