"""The submission form in steps. Each step saves the draft, so a resident can stop
and come back; it all works without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import DomainError
from accounts.forms import add_domain_error
from accounts.ids import id_or_404
from fonds.forms import (
    AttachmentForm,
    BudgetFormSet,
    CarrierForm,
    PhotoForm,
    ProjectForm,
    ReasonForm,
)
from fonds.maps import allow_map_tiles, map_context
from fonds.models import Attachment, Fund, Initiative
from fonds.predicates import can_withdraw, is_author
from fonds.selectors import budget_totals
from fonds.services import (
    initiative_attach,
    initiative_attachment_set_public,
    initiative_create,
    initiative_detach,
    initiative_set_budget,
    initiative_set_photo,
    initiative_submit,
    initiative_update,
    initiative_withdraw,
    submission_problems,
)

STEPS = [
    ("porteur", gettext_lazy("Porteur")),
    ("projet", gettext_lazy("Projet")),
    ("budget", gettext_lazy("Budget")),
    ("pieces", gettext_lazy("Pièces jointes")),
    ("depot", gettext_lazy("Vérification et dépôt")),
]
STEP_NAMES = [name for name, _label in STEPS]
CARRIER_FIELDS = (
    "carrier_kind",
    "carrier_name",
    "rna",
    "siret",
    "host_name",
    "host_siret",
    "host_rna",
    "title",
)
PROJECT_FIELDS = (
    "summary",
    "description",
    "theme",
    "place_name",
    "latitude",
    "longitude",
    "starts_on",
    "ends_on",
    "expected_participants",
)
BLANK_BUDGET_ROWS = 3
MAX_BUDGET_LINES = BudgetFormSet.max_num


def _render(request, step, context):
    index = STEP_NAMES.index(step)
    return render(
        request,
        "fonds/initiative_form.html",
        {
            "steps": STEPS,
            "step": step,
            "step_number": index + 1,
            "step_label": STEPS[index][1],
            "step_count": len(STEPS),
            **context,
        },
    )


@login_required
def initiative_new(request):
    """Step 1 for a new dossier: the fund, who carries it, its title. Saving creates
    the draft."""
    has_funds = Fund.objects.accepting_submissions().exists()
    form = CarrierForm(request.POST or None, initial={"carrier_kind": "person"})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        fund = data.pop("fund")
        try:
            initiative = initiative_create(actor=request.user, fund=fund, **data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Brouillon enregistré. Décrivez maintenant votre projet."))
            return redirect("initiative_edit", pk=initiative.pk, step="projet")
    return _render(request, "porteur", {"form": form, "initiative": None, "has_funds": has_funds})


@login_required
def initiative_edit(request, pk, step):
    if step not in STEP_NAMES:
        raise Http404
    initiative = get_object_or_404(
        Initiative.objects.select_related("fund__quartier", "theme"), pk=pk
    )
    if not is_author(request.user, initiative):
        raise Http404
    if initiative.status not in Initiative.EDITABLE_STATUSES:
        messages.info(request, _("Ce dossier ne peut plus être modifié."))
        return redirect("my_space")
    return STEP_VIEWS[step](request, initiative)


def _next(initiative, step):
    return redirect(
        "initiative_edit", pk=initiative.pk, step=STEP_NAMES[STEP_NAMES.index(step) + 1]
    )


def _fields_step(request, initiative, step, form_class, fields, extra=None, **form_kwargs):
    initial = {field: getattr(initiative, field) for field in fields}
    form = form_class(request.POST or None, initial=initial, **form_kwargs)
    if request.method == "POST" and form.is_valid():
        try:
            initiative_update(actor=request.user, initiative=initiative, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Étape enregistrée."))
            return _next(initiative, step)
    return _render(request, step, {"form": form, "initiative": initiative, **(extra or {})})


def _carrier_step(request, initiative):
    return _fields_step(
        request, initiative, "porteur", CarrierForm, CARRIER_FIELDS, fund_fixed=True
    )


def _project_step(request, initiative):
    # The place picker opens on the fund's quartier; it shows when there is something
    # to draw (the quartier's outline, tiles or the commune's background layer).
    maps = map_context(request)
    outline = initiative.fund.quartier.outline
    maps["place_outline"] = [outline] if outline else None
    maps["place_picker"] = bool(outline or maps["tile_url"] or maps["background_url"])
    response = _fields_step(request, initiative, "projet", ProjectForm, PROJECT_FIELDS, extra=maps)
    return allow_map_tiles(request, response)


def _blank_rows(request, filled):
    """How many empty lines the budget step shows: three, or more once « Ajouter une
    ligne » asked for them, never beyond the form's maximum."""
    try:
        wanted = int(request.GET.get("vides", BLANK_BUDGET_ROWS))
    except ValueError:
        wanted = BLANK_BUDGET_ROWS
    return max(1, min(wanted, MAX_BUDGET_LINES - filled))


def _budget_step(request, initiative):
    lines = [
        {"kind": line.kind, "label": line.label, "amount": f"{line.amount:.2f}".replace(".", ",")}
        # In the order they were typed, whatever their kind.
        for line in initiative.budget_lines.order_by("position", "id")
    ]
    blanks = _blank_rows(request, len(lines))
    initial = lines + [{"kind": "expense"}] * blanks
    formset = BudgetFormSet(request.POST or None, initial=initial, prefix="lignes")
    adding = "ajouter" in request.POST
    removed = request.POST.get("retirer")
    if request.method == "POST" and formset.is_valid():
        filled = [
            (index, form.cleaned_data)
            for index, form in enumerate(formset.forms)
            if (form.cleaned_data.get("label") or form.cleaned_data.get("amount"))
            and str(index) != removed
        ]
        try:
            initiative_set_budget(
                actor=request.user,
                initiative=initiative,
                lines=[(d["kind"], d["label"], d["amount"]) for _i, d in filled],
            )
        except DomainError as error:
            for key, problems in error.errors.items():
                position = int(key.split("-")[1]) if key.startswith("line-") else None
                for problem in problems:
                    if position is None:
                        formset.forms[0].add_error(None, problem)
                    else:
                        formset.forms[filled[position][0]].add_error("amount", problem)
            if not error.errors:
                formset._non_form_errors = formset.error_class([error.message])
        else:
            url = reverse("initiative_edit", args=[initiative.pk, "budget"])
            if adding:
                # The lines typed so far are kept; the new one takes the focus.
                return redirect(f"{url}?vides={blanks + 1}&ligne={len(filled) + blanks + 1}")
            if removed is not None:
                messages.success(request, _("Ligne retirée, budget enregistré."))
                return redirect(url)
            messages.success(request, _("Budget enregistré."))
            return _next(initiative, "budget")
    try:
        focus_line = int(request.GET.get("ligne", 0))
    except ValueError:
        focus_line = 0
    return _render(
        request,
        "budget",
        {
            "formset": formset,
            "initiative": initiative,
            "totals": budget_totals(initiative),
            "focus_line": focus_line,
            "may_add": len(formset.forms) < MAX_BUDGET_LINES,
        },
    )


def _documents_step(request, initiative):
    attachment_form = AttachmentForm(prefix="piece")
    photo_form = PhotoForm(prefix="photo")
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            if action == "attach":
                attachment_form = AttachmentForm(request.POST, request.FILES, prefix="piece")
                if attachment_form.is_valid():
                    initiative_attach(
                        actor=request.user,
                        initiative=initiative,
                        upload=attachment_form.cleaned_data["file"],
                        label=attachment_form.cleaned_data["label"],
                        public=attachment_form.cleaned_data["public"],
                    )
                    messages.success(request, _("Pièce jointe ajoutée."))
                    return redirect("initiative_edit", pk=initiative.pk, step="pieces")
            elif action == "photo":
                photo_form = PhotoForm(request.POST, request.FILES, prefix="photo")
                if photo_form.is_valid():
                    initiative_set_photo(
                        actor=request.user,
                        initiative=initiative,
                        upload=photo_form.cleaned_data["photo"],
                    )
                    messages.success(request, _("Photo enregistrée."))
                    return redirect("initiative_edit", pk=initiative.pk, step="pieces")
            elif action.startswith(("public-", "private-")):
                visibility, _sep, piece = action.partition("-")
                attachment = get_object_or_404(
                    Attachment, pk=id_or_404(piece), initiative=initiative
                )
                initiative_attachment_set_public(
                    actor=request.user, attachment=attachment, public=visibility == "public"
                )
                messages.success(
                    request,
                    _("La pièce est maintenant publique.")
                    if visibility == "public"
                    else _("La pièce est maintenant privée."),
                )
                return redirect("initiative_edit", pk=initiative.pk, step="pieces")
            elif action.startswith("detach-"):
                attachment = get_object_or_404(
                    Attachment,
                    pk=id_or_404(action.removeprefix("detach-")),
                    initiative=initiative,
                )
                initiative_detach(actor=request.user, attachment=attachment)
                messages.success(request, _("Pièce jointe retirée."))
                return redirect("initiative_edit", pk=initiative.pk, step="pieces")
            elif action == "next":
                return _next(initiative, "pieces")
        except DomainError as error:
            form = photo_form if action == "photo" else attachment_form
            if form.is_bound:
                add_domain_error(form, error)
            else:
                messages.error(request, error.message)
    return _render(
        request,
        "pieces",
        {
            "initiative": initiative,
            "attachments": initiative.attachments.all(),
            "attachment_form": attachment_form,
            "photo_form": photo_form,
        },
    )


def _submit_step(request, initiative):
    problems = submission_problems(initiative)
    if request.method == "POST":
        try:
            initiative_submit(actor=request.user, initiative=initiative)
        except DomainError as error:
            problems = error.errors.get("__all__", [error.message])
        else:
            messages.success(
                request,
                _("Votre initiative est déposée. Vous recevez un courriel de confirmation."),
            )
            return redirect("my_space")
    return _render(
        request,
        "depot",
        {
            "initiative": initiative,
            "problems": problems,
            "totals": budget_totals(initiative),
            "attachments": initiative.attachments.all(),
        },
    )


STEP_VIEWS = {
    "porteur": _carrier_step,
    "projet": _project_step,
    "budget": _budget_step,
    "pieces": _documents_step,
    "depot": _submit_step,
}


@login_required
def initiative_withdraw_view(request, pk):
    initiative = get_object_or_404(Initiative.objects.select_related("fund"), pk=pk)
    if not is_author(request.user, initiative):
        raise Http404
    if not can_withdraw(request.user, initiative):
        messages.info(request, _("Ce dossier ne peut plus être retiré."))
        return redirect("my_space")
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            initiative_withdraw(
                actor=request.user, initiative=initiative, reason=form.cleaned_data["reason"]
            )
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Votre initiative est retirée."))
            return redirect("my_space")
    return render(
        request, "fonds/initiative_withdraw.html", {"form": form, "initiative": initiative}
    )
