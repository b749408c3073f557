from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from acuback.web.operator_admin import OperatorAdmin

from .models import (
    Clinic,
    Credential,
    Location,
    Membership,
    Practitioner,
    StaffInvitation,
    Supervision,
    User,
)


@admin.register(User)
class UserAdmin(DjangoUserAdmin, OperatorAdmin):
    can_delete_rows = False
    # The mobile number is where urgent safety alerts go by SMS.
    fieldsets = tuple(
        (name, {**opts, "fields": (*opts["fields"], "mobile_phone")})
        if name == "Personal info" else (name, opts)
        for name, opts in DjangoUserAdmin.fieldsets)


@admin.register(Clinic)
class ClinicAdmin(OperatorAdmin):
    list_display = ("name", "slug", "time_zone")


@admin.register(Location)
class LocationAdmin(OperatorAdmin):
    list_display = ("name", "clinic", "jurisdiction", "time_zone", "is_active")


@admin.register(Membership)
class MembershipAdmin(OperatorAdmin):
    list_display = ("user", "clinic", "role")
    list_filter = ("role",)
    can_delete_rows = True  # removing a role is how access is taken away


@admin.register(StaffInvitation)
class StaffInvitationAdmin(OperatorAdmin):
    list_display = ("email", "clinic", "account", "created_at", "accepted_at")


class CredentialInline(admin.TabularInline):
    model = Credential
    extra = 0
    can_delete = False
    fk_name = "practitioner"


class SupervisionInline(admin.TabularInline):
    model = Supervision
    extra = 0
    can_delete = False  # a supervision ends (valid_to); past claims read it
    fk_name = "supervisee"


@admin.register(Practitioner)
class PractitionerAdmin(OperatorAdmin):
    list_display = ("display_name", "profession", "clinic", "is_active")
    inlines = [CredentialInline, SupervisionInline]


@admin.register(Supervision)
class SupervisionAdmin(OperatorAdmin):
    list_display = ("supervisee", "supervisor", "valid_from", "valid_to", "level")


@admin.register(Credential)
class CredentialAdmin(OperatorAdmin):
    list_display = ("practitioner", "kind", "jurisdiction", "status", "expires_on")
    list_filter = ("kind", "status")
