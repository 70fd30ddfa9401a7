"""The pages of the unlock link (see accounts.lockout): ask for it, then open it."""

from allauth.core import ratelimit
from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from . import lockout
from .backoffice import DescribedForm


class UnlockRequestForm(DescribedForm):
    email = forms.EmailField(
        label=gettext_lazy("Adresse électronique de votre compte"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


@never_cache
def unlock_request(request):
    form = UnlockRequestForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        email = form.cleaned_data["email"]
        # Counted per address whether or not an account uses it, so the answer says
        # nothing about who has an account; a link already sent stays usable.
        if not ratelimit.consume(request, action="unlock_request", key=email.lower()):
            form.add_error(
                None,
                _(
                    "Un lien de déverrouillage a déjà été demandé il y a peu : consultez "
                    "votre messagerie (et le dossier des indésirables), ou réessayez dans "
                    "quelques minutes."
                ),
            )
        else:
            lockout.unlock_link_send(email=email)
            messages.success(
                request,
                _(
                    "Si un compte utilise cette adresse, un lien de déverrouillage vient "
                    "d'y être envoyé. Ouvrez-le dans le navigateur où vous voulez vous "
                    "connecter : il est valable une heure et ne sert qu'une fois."
                ),
            )
            return redirect("account_login")
    return render(request, "accounts/unlock_request.html", {"form": form})


@never_cache
def unlock(request, token):
    """The link's page: a button (so that a mail scanner opening the link uses
    nothing), which makes this browser a known one for the account."""
    if lockout.unlock_user(token) is None:
        return render(request, "accounts/unlock_unusable.html", status=410)
    if request.method == "POST":
        response = redirect("account_login")
        if lockout.unlock_claim(request, response, token) is None:
            return render(request, "accounts/unlock_unusable.html", status=410)
        messages.success(
            request,
            _("Ce navigateur est déverrouillé : connectez-vous avec votre mot de passe."),
        )
        return response
    return render(request, "accounts/unlock.html")
