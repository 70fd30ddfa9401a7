from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from .predicates import has_mfa, requires_mfa

# Paths a person who must set up MFA may still reach: the account pages themselves
# (MFA setup, logout, email confirmation), language choice, static files, health.
OPEN_PREFIXES = ("/comptes/", "/langue/", "/static/", "/healthz")


def mfa_missing(request):
    """True when the signed-in user must use MFA and has not set it up; computed once
    per request."""
    if not hasattr(request, "_mfa_missing"):
        user = getattr(request, "user", None)
        request._mfa_missing = bool(user is not None and requires_mfa(user) and not has_mfa(user))
    return request._mfa_missing


class MfaEnforcementMiddleware:
    """With ``MFA_ENFORCED`` (production), staff and council members without a second
    factor are sent to MFA setup before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            settings.MFA_ENFORCED
            and not request.path.startswith(OPEN_PREFIXES)
            and mfa_missing(request)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
