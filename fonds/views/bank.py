"""The carrier's account for the grant, from « Mon espace »."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import DomainError
from accounts.forms import add_domain_error
from fonds.models import Initiative
from fonds.predicates import is_author
from fonds.services.bank import MAX_HOLDER, bank_details_set, current_bank_details

# A dossier the commune may still pay.
PAYABLE_STATUSES = (
    Initiative.Status.SUBMITTED,
    Initiative.Status.INCOMPLETE,
    Initiative.Status.ADMISSIBLE,
    Initiative.Status.ON_AGENDA,
    Initiative.Status.GRANTED,
)


class BankDetailsForm(forms.Form):
    holder = forms.CharField(
        label=gettext_lazy("Titulaire du compte"),
        max_length=MAX_HOLDER,
        help_text=gettext_lazy("Tel qu'il figure sur le relevé d'identité bancaire (RIB)."),
    )
    iban = forms.CharField(
        label=gettext_lazy("IBAN"),
        max_length=50,
        help_text=gettext_lazy("Par exemple FR76 3000 6000 0112 3456 7890 189."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


@login_required
def bank_details(request, pk):
    initiative = get_object_or_404(Initiative.objects.select_related("fund__quartier"), pk=pk)
    if not is_author(request.user, initiative):
        raise Http404
    current = current_bank_details(initiative)
    payable = initiative.status in PAYABLE_STATUSES
    form = BankDetailsForm(
        request.POST or None,
        initial={"holder": current.holder if current else initiative.carrier_name},
    )
    if request.method == "POST" and payable and form.is_valid():
        try:
            details = bank_details_set(
                actor=request.user, initiative=initiative, **form.cleaned_data
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if details.needs_confirmation and not details.usable:
                messages.success(
                    request,
                    _(
                        "Le nouveau compte est enregistré. Un agent de la ville le confirmera "
                        "avant le prochain versement ; un courriel vous le confirme."
                    ),
                )
            else:
                messages.success(request, _("Le compte de versement est enregistré."))
            return redirect("my_space")
    return render(
        request,
        "fonds/bank_details.html",
        {"initiative": initiative, "current": current, "form": form, "payable": payable},
    )
