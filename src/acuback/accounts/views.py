"""Login and the practitioner registry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from . import policy, selectors, services
from .forms import CredentialForm, LoginForm, PasswordResetRequestForm
from .models import Practitioner


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get(self, request, *args, **kwargs):
        # A form that could only fail when sent is not shown while the database is down:
        # the query raises and the user sees the 503 "briefly unavailable" page at once.
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return super().get(request, *args, **kwargs)


# --- passwords: change one's own; reset a forgotten one by e-mail ------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password; the page a must-change account is sent to."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_set(user=request.user, password=form.cleaned_data["new_password1"],
                              request=request, how="change")
        update_session_auth_hash(request, request.user)  # stay logged in
        messages.success(request, "Password changed.")
        return redirect("home")
    return render(request, "accounts/password_change.html", {"form": form},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    """Ask for a password link by e-mail (staff; patients use the portal's e-mailed link),
    limited per address asked for and per client like the portal's log-in links."""
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from acuback.web import limits

        wait = limits.retry_after(
            request, ("password_reset_per_email", form.cleaned_data["email"].strip().lower()),
            ("password_reset_per_client", limits.client_address(request)))
        if wait is not None:
            return limits.too_many_page(request, wait)
        services.password_reset_request(email=form.cleaned_data["email"], request=request)
        return render(request, "accounts/password_reset_sent.html")
    return render(request, "accounts/password_reset.html", {"form": form},
                  status=400 if form.errors else 200)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a password from an e-mailed link (a reset, or a new colleague's invitation).
    Django checks the single-use token; the service saves and audits."""

    template_name = "accounts/password_set.html"
    success_url = "/login/?password=set"

    def form_valid(self, form):
        services.password_set(user=form.user, password=form.cleaned_data["new_password1"],
                              request=self.request, how="reset")
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        messages.success(self.request, "Your password is set: log in with it now.")
        return redirect(self.success_url)


@login_required
def registry(request: HttpRequest) -> HttpResponse:
    if not policy.can_anywhere(request.user, "registry.view"):
        raise PermissionDenied
    today = timezone.localdate()
    return render(
        request,
        "accounts/registry.html",
        {"rows": selectors.registry(user=request.user, on=today), "today": today},
    )


def _get_practitioner(request: HttpRequest, pk: int, permission: str) -> Practitioner:
    practitioner = get_object_or_404(selectors.practitioners_for(user=request.user), pk=pk)
    policy.require(request.user, permission, practitioner.clinic_id)
    return practitioner


@login_required
@require_http_methods(["GET", "POST"])
def practitioner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    practitioner = _get_practitioner(request, pk, "registry.view")
    can_manage = policy.can(request.user, "registry.manage", practitioner.clinic_id)
    form = CredentialForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            services.credential_add(
                practitioner=practitioner, data=form.cleaned_data, request=request
            )
            messages.success(request, "Credential added.")
            return redirect("practitioner_detail", pk=practitioner.pk)
    today = timezone.localdate()
    [row] = selectors.registry(user=request.user, on=today, practitioner_id=practitioner.pk)
    return render(
        request,
        "accounts/practitioner.html",
        {"row": row, "form": form, "can_manage": can_manage, "today": today},
        status=400 if form.errors else 200,
    )


@login_required
def staff_invitations(request: HttpRequest) -> HttpResponse:
    """The clinics that invite this account to their staff: accepted here, logged in."""
    from .models import Role

    invitations = [(i, [Role(r).label for r in i.roles if r in Role.values])
                   for i in services.staff_invitations_open(request.user)]
    return render(request, "accounts/staff_invitations.html", {"invitations": invitations})


@login_required
@require_http_methods(["POST"])
def staff_invitation_accept(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = services.staff_invitation_accept(invitation_pk=pk, request=request)
    messages.success(request, f"You are now on the staff of {invitation.clinic.name}.")
    return redirect("staff_invitations")
