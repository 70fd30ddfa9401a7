"""« Mes données » and erasure on request, from « Mon profil » (see ``accounts.privacy``)."""

from allauth.account.adapter import get_adapter
from allauth.core import ratelimit
from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from .errors import DomainError
from .models import DataExport
from .privacy import (
    data_export_expire,
    data_export_request,
    erasure_preview,
    export_storage,
    is_expired,
    user_erase,
)


@login_required
@require_POST
def data_export(request):
    """Ask for the archive; the profile then shows it in preparation."""
    try:
        data_export_request(actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Votre archive est en préparation. Vous recevrez un courriel dès qu'elle "
                "sera prête ; le lien restera valable 24 heures."
            ),
        )
    return redirect("accounts_profile")


@login_required
@never_cache
def data_export_download(request, pk):
    """The archive, to its owner only (anyone else: 404), until it expires (then 410,
    and the file is deleted)."""
    export = DataExport.objects.filter(pk=pk, user=request.user).first()
    if export is None or export.status not in (DataExport.Status.READY, DataExport.Status.EXPIRED):
        raise Http404
    if is_expired(export):
        data_export_expire(export)
        return render(request, "accounts/data_export_expired.html", status=410)
    day = timezone.localdate(export.ready_at).isoformat()
    response = FileResponse(
        export_storage().open(export.file, "rb"),
        as_attachment=True,
        filename=f"mes-donnees-{day}.zip",
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ErasureForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Votre mot de passe"),
        strip=False,
        help_text=gettext_lazy("Pour confirmer que c'est bien vous qui le demandez."),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    understood = forms.BooleanField(
        label=gettext_lazy(
            "J'ai compris que mon compte sera effacé définitivement et que je ne pourrai "
            "plus me connecter."
        ),
    )

    def __init__(self, *args, request, **kwargs):
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self):
        """The password checked again, as allauth's re-authentication does, within its
        rate limit (``ACCOUNT_RATE_LIMITS["reauthenticate"]``)."""
        password = self.cleaned_data["password"]
        user = self.request.user
        if not ratelimit.consume(self.request, action="reauthenticate", user=user):
            raise forms.ValidationError(
                _("Trop d'essais : réessayez dans quelques minutes."), code="too_many"
            )
        if not get_adapter(self.request).reauthenticate(user, password):
            raise forms.ValidationError(_("Ce mot de passe n'est pas le bon."), code="incorrect")
        return password


@login_required
@never_cache
def erasure(request):
    """What erasure would erase and keep; with the password and a confirmation, it
    happens, the person is signed out and shown what is kept and until when."""
    user = request.user
    preview = erasure_preview(user)
    form = ErasureForm(request.POST if request.method == "POST" else None, request=request)
    if form.is_bound and preview.possible and form.is_valid():
        try:
            kept = user_erase(actor=user, user=user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            logout(request)
            return render(request, "accounts/erasure_done.html", {"kept": kept})
    return render(request, "accounts/erasure.html", {"form": form, "preview": preview})
