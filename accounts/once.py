"""A form is carried out once, however often its button is pressed. Each rendered form
carries a fresh token (``{% form_once %}``); the first POST with a token claims it in
the cache, and a repeat — a double click, a resent request — is sent back to the page
without running the action a second time."""

import secrets

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.utils.translation import gettext as _

FIELD = "form_once"
TTL_SECONDS = 6 * 3600


def new_token():
    return secrets.token_urlsafe(18)


def _key(request, token):
    user = getattr(request, "user", None)
    who = user.pk if user is not None and user.is_authenticated else "anonymous"
    return f"form-once:{who}:{token[:64]}"


def claim(request):
    """True unless this POST's token was already used."""
    token = request.POST.get(FIELD, "")
    if not token:
        return True
    return cache.add(_key(request, token), 1, TTL_SECONDS)


class FormOnceMiddleware:
    """Drops a repeated POST of the same rendered form (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and FIELD in request.POST and not claim(request):
            messages.info(request, _("Cette demande a déjà été prise en compte."))
            return HttpResponseRedirect(request.get_full_path())
        return self.get_response(request)
