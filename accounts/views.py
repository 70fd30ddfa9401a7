from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .backoffice import DescribedForm
from .errors import DomainError
from .forms import EmailPreferencesForm, ProfileForm, add_domain_error
from .invitations import (
    InvitationUnusable,
    account_for_email,
    email_matches,
    invitation_accept,
    invitation_description,
    invitation_for_token,
    invitation_kind,
    invitation_signup,
    token_hash,
)
from .models import Invitation
from .notifications import required_kinds
from .privacy import latest_data_export
from .services import notification_preferences_set, profile_update


@login_required
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                profile_update(actor=user, user=user, **form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Votre profil est enregistré."))
                return redirect("accounts_profile")
    else:
        form = ProfileForm(
            initial={
                "display_name": user.display_name,
                "quartier": user.quartier_id,
                "language": user.language,
            }
        )
    return _profile_page(request, form, _email_form(user))


def _email_form(user, data=None):
    muted = set(user.notification_opt_outs.values_list("kind", flat=True))
    form = EmailPreferencesForm(data, prefix="courriels")
    if data is None:
        form.initial = {"wanted": [kind.key for kind in form.kinds if kind.key not in muted]}
    return form


def _profile_page(request, form, email_form, status=200):
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "email_form": email_form,
            "required_kinds": required_kinds(),
            "data_export": latest_data_export(request.user),
        },
        status=status,
    )


@login_required
@require_POST
def email_preferences(request):
    """The « Courriels » part of « Mon profil »: which kinds of email to receive."""
    user = request.user
    email_form = _email_form(user, request.POST)
    if email_form.is_valid():
        try:
            notification_preferences_set(actor=user, user=user, muted=email_form.muted())
        except DomainError as error:
            add_domain_error(email_form, error)
        else:
            messages.success(request, _("Vos choix de courriels sont enregistrés."))
            return redirect(f"{reverse('accounts_profile')}#courriels")
    profile_form = ProfileForm(
        initial={
            "display_name": user.display_name,
            "quartier": user.quartier_id,
            "language": user.language,
        }
    )
    # What was sent names a kind of email that does not exist or cannot be turned off.
    return _profile_page(request, profile_form, email_form, status=400)


# --- invitations -------------------------------------------------------------------------


class InvitationSignupForm(DescribedForm):
    display_name = forms.CharField(
        label=gettext_lazy("Nom affiché"),
        max_length=120,
        help_text=gettext_lazy("Le nom que les autres verront, par exemple « Camille D. »."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Mot de passe"),
        strip=False,
        help_text=gettext_lazy(
            "Au moins 10 caractères ; ni trop courant, ni fait seulement de chiffres."
        ),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Le même mot de passe, à nouveau"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    error_fields = {"password": "password1"}

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Les deux mots de passe ne sont pas identiques."))
        return data


def _unusable(request, token, error):
    """404 for a link that leads nowhere, 410 for an invitation that is over; the
    person who accepted it is told so plainly."""
    context = {"message": error.message, "code": error.code}
    if error.code == "accepted" and request.user.is_authenticated:
        invitation = Invitation.objects.filter(token_hash=token_hash(token)).first()
        if invitation is not None and invitation.accepted_by_id == request.user.pk:
            context["landing_url"] = _landing_url(invitation)
            context["message"] = _("Vous avez déjà accepté cette invitation.")
            return render(request, "accounts/invitation_unusable.html", context)
    status = 404 if error.code == "unknown" else 410
    return render(request, "accounts/invitation_unusable.html", context, status=status)


def _landing_url(invitation):
    try:
        return invitation_kind(invitation.kind).landing_url()
    except DomainError:
        return "/"


def _accepted(request, invitation):
    messages.success(
        request,
        _("Bienvenue ! Vous avez accepté %(offer)s.")
        % {"offer": invitation_description(invitation)},
    )
    return redirect(_landing_url(invitation))


@never_cache
def invitation(request, token):
    """The page an invitation's link opens. Signed in with the invited address: a
    button accepts. No account for that address: a form creates it, accepts and signs
    the person in. An account, but not signed in: sign in first, then come back."""
    try:
        invitation = invitation_for_token(token)
    except InvitationUnusable as error:
        return _unusable(request, token, error)
    context = {"invitation": invitation, "offer": invitation_description(invitation)}
    user = request.user
    if user.is_authenticated:
        if not email_matches(user, invitation.email):
            context["situation"] = "other_account"
            return render(request, "accounts/invitation.html", context, status=403)
        context["situation"] = "accept"
        if request.method == "POST":
            try:
                invitation = invitation_accept(token=token, user=user)
            except InvitationUnusable as error:
                return _unusable(request, token, error)
            except DomainError as error:
                context["error"] = error.message
            else:
                return _accepted(request, invitation)
        return render(request, "accounts/invitation.html", context)
    if account_for_email(invitation.email) is not None:
        context["situation"] = "login"
        context["login_url"] = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
        return render(request, "accounts/invitation.html", context)
    context["situation"] = "signup"
    form = InvitationSignupForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        language = "en" if (translation.get_language() or "").startswith("en") else "fr"
        try:
            user = invitation_signup(
                token=token,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
                language=language,
            )
        except InvitationUnusable as error:
            return _unusable(request, token, error)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            get_adapter(request).login(request, user)
            return _accepted(request, Invitation.objects.get(pk=invitation.pk))
    context["form"] = form
    return render(request, "accounts/invitation.html", context)
