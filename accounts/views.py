from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from .errors import DomainError
from .forms import ProfileForm, add_domain_error
from .services import profile_update


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
    return render(request, "accounts/profile.html", {"form": form})
