"""The clinic admin's page for API tokens: make one (shown once), see them, revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from acuback.accounts import policy
from acuback.accounts.models import Membership, Role, User

from . import services
from .models import ApiToken, Scope


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. 'Referrer EHR feed'.")
    user = forms.ModelChoiceField(queryset=User.objects.none(),
                                  help_text="The token acts as this person, with their access.")
    scopes = forms.MultipleChoiceField(choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)
    days = forms.IntegerField(min_value=1, max_value=services.MAX_TOKEN_DAYS, initial=90,
                              label="Valid for (days)")

    def __init__(self, *args, clinic, **kwargs):
        super().__init__(*args, **kwargs)
        staff = Membership.objects.filter(clinic=clinic).exclude(role=Role.PATIENT)
        self.fields["user"].queryset = User.objects.filter(
            pk__in=staff.values("user_id")).order_by("username")


def _clinic(request: HttpRequest):
    clinic = policy.home_clinic(request.user)
    if clinic is None or not policy.can(request.user, "admin.site", clinic):
        raise PermissionDenied
    return clinic


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    clinic = _clinic(request)
    form = TokenForm(request.POST or None, clinic=clinic)
    secret = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, secret = services.token_create(
                    clinic=clinic, user=form.cleaned_data["user"], name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"], days=form.cleaned_data["days"],
                    request=request)
                form = TokenForm(clinic=clinic)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
                status = 400
        else:
            status = 400
    tokens = ApiToken.objects.filter(clinic=clinic).select_related("user")
    return render(request, "interop/tokens.html", {
        "form": form, "tokens": tokens, "secret": secret,
        "unexpressible": services.unexpressible_list(clinic_id=clinic.pk)}, status=status)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    clinic = _clinic(request)
    token = get_object_or_404(ApiToken, pk=pk, clinic=clinic)
    services.token_revoke(token=token, request=request)
    messages.success(request, f"Token '{token.name}' revoked: it stops working now.")
    return redirect("api_tokens")
