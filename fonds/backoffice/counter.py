"""Filing at the counter, in the Wagtail admin: the instructor types the resident's
dossier, files it, and hands over a receipt (a PDF with the claim code when the resident
has no account); the resident claims it online from « Mon espace »."""

from allauth.core import ratelimit
from django import forms
from django.contrib import messages as site_messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin import messages

from accounts.errors import DomainError, PermissionDenied
from accounts.forms import add_domain_error
from accounts.notifications import commune_frame
from accounts.predicates import is_instructor_of
from fonds.forms import BudgetLineForm, CarrierForm, ProjectForm
from fonds.models import Fund, Initiative
from fonds.services.counter import MAX_ADDRESS, counter_claim, counter_file, counter_new_code

from .access import forbidden

LINES = 6
# The fields of the form's first part: who files, who carries.
WHO = (
    "fund",
    "contact_email",
    "contact_address",
    "carrier_kind",
    "carrier_name",
    "rna",
    "siret",
    "host_name",
    "host_siret",
    "host_rna",
)
SESSION_KEY = "counter_codes"


def counter_funds(user):
    """The funds open today in the quartiers the person instructs (all of them for a
    commune-wide assignment)."""
    open_today = Fund.objects.accepting_submissions().values_list("pk", "quartier_id")
    mine = [pk for pk, quartier_id in open_today if is_instructor_of(user, quartier_id)]
    return (
        Fund.objects.filter(pk__in=mine)
        .select_related("quartier")
        .order_by("quartier__name", "label")
    )


class CounterForm(CarrierForm, ProjectForm):
    contact_email = forms.EmailField(
        label=gettext_lazy("Adresse électronique du déposant"),
        required=False,
        help_text=gettext_lazy(
            "Si un compte l'utilise, le dossier est aussitôt le sien ; sinon il le réclamera "
            "avec le code du récépissé."
        ),
    )
    contact_address = forms.CharField(
        label=gettext_lazy("Adresse postale du déposant"),
        max_length=MAX_ADDRESS,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("À défaut d'adresse électronique : la commune lui écrira."),
    )
    field_order = ["fund", "contact_email", "contact_address"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["fund"]
        field.queryset = counter_funds(user)
        for name in ("latitude", "longitude"):
            del self.fields[name]


def _line_forms(data=None):
    return [BudgetLineForm(data, prefix=f"ligne-{i}") for i in range(LINES)]


def _lines(line_forms):
    lines = []
    for form in line_forms:
        if not form.is_valid():
            continue
        data = form.cleaned_data
        if data.get("label") or data.get("amount"):
            lines.append((data["kind"], data.get("label", ""), data.get("amount", "")))
    return lines


def counter_new(request):
    funds = counter_funds(request.user)
    if not funds.exists():
        return forbidden(
            request,
            _("Aucun fonds de vos quartiers n'accepte de dépôt aujourd'hui."),
        )
    form = CounterForm(request.POST or None, user=request.user, initial={"carrier_kind": "person"})
    line_forms = _line_forms(request.POST or None)
    if request.method == "POST" and form.is_valid() and all(f.is_valid() for f in line_forms):
        data = dict(form.cleaned_data)
        fund = data.pop("fund")
        try:
            initiative, code = counter_file(
                actor=request.user, fund=fund, lines=_lines(line_forms), **data
            )
        except PermissionDenied as error:
            return forbidden(request, error.message)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            if code:
                request.session.setdefault(SESSION_KEY, {})[str(initiative.pk)] = code
                request.session.modified = True
            messages.success(
                request,
                _("Le dossier « %(title)s » est déposé au guichet. Remettez le récépissé.")
                % {"title": initiative.title},
            )
            return redirect("fonds_backoffice_counter_done", pk=initiative.pk)
    if request.method == "POST":
        messages.error(request, _("Le dépôt n'est pas enregistré : corrigez le formulaire."))
    return TemplateResponse(
        request,
        "fonds/admin/counter_form.html",
        {"form": form, "line_forms": line_forms, "who": WHO},
    )


def _counter_dossier(request, pk):
    initiative = get_object_or_404(
        Initiative.objects.select_related("fund__quartier", "author"), pk=pk, filed_at_counter=True
    )
    if not is_instructor_of(request.user, initiative.fund.quartier_id):
        raise Http404
    return initiative


def counter_done(request, pk):
    initiative = _counter_dossier(request, pk)
    code = request.session.get(SESSION_KEY, {}).get(str(pk))
    return TemplateResponse(
        request,
        "fonds/admin/counter_done.html",
        {"initiative": initiative, "code": code},
    )


def counter_receipt(request, pk):
    """The receipt handed to the resident (PDF/UA): the dossier, its number, the date,
    and, without an account, the code to claim it online."""
    initiative = _counter_dossier(request, pk)
    code = request.session.get(SESSION_KEY, {}).get(str(pk))
    from weasyprint import HTML

    html = render_to_string(
        "fonds/counter_receipt.html",
        {
            "initiative": initiative,
            "code": code if initiative.author_id is None else None,
            "commune": commune_frame()["commune"],
            "claim_url": request.build_absolute_uri("/mon-espace/reclamer/"),
        },
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(
        pdf_variant="pdf/ua-1"
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="recepisse-{initiative.pk}.pdf"'
    return response


@require_POST
def counter_code(request, pk):
    """A new code, for a receipt lost before the dossier was claimed."""
    initiative = _counter_dossier(request, pk)
    try:
        code = counter_new_code(actor=request.user, initiative=initiative)
    except PermissionDenied as error:
        return forbidden(request, error.message)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        request.session.setdefault(SESSION_KEY, {})[str(pk)] = code
        request.session.modified = True
        messages.success(request, _("Un nouveau code est créé ; l'ancien ne sert plus."))
    return redirect("fonds_backoffice_counter_done", pk=pk)


class ClaimForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code du récépissé"),
        max_length=20,
        help_text=gettext_lazy("Douze lettres et chiffres, par exemple ABCD-EFGH-JKMN."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


@login_required
def counter_claim_view(request):
    """The resident claims, with their receipt's code, the dossier filed for them."""
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.consume(request, action="counter_claim", user=request.user):
            form.add_error(
                "code",
                _("Trop d'essais : réessayez dans quelques minutes, ou adressez-vous à la mairie."),
            )
        else:
            try:
                initiative = counter_claim(actor=request.user, code=form.cleaned_data["code"])
            except DomainError as error:
                add_domain_error(form, error)
            else:
                site_messages.success(
                    request,
                    _("Le dossier « %(title)s » est désormais dans votre espace.")
                    % {"title": initiative.title},
                )
                return redirect("my_space")
    return render(request, "fonds/counter_claim.html", {"form": form})
