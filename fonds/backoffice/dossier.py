"""One dossier in the back-office: everything the carrier sent, the fund's rules, the
history of the dossier, and the instruction actions, each with its reason."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.admin import messages

from accounts.errors import DomainError, PermissionDenied
from fonds.models import BudgetLine, Initiative, Report
from fonds.predicates import can_instruct
from fonds.services import (
    initiative_declare_admissible,
    initiative_declare_inadmissible,
    initiative_request_completion,
    submission_problems,
)
from fonds.services.bank import current_bank_details
from fonds.services.initiatives import MAX_REASON
from fonds.trail import dossier_history, grant_money, money_totals

from .access import can_open_dossier, forbidden
from .desk import may_handle_money

Status = Initiative.Status


@dataclass(frozen=True)
class InstructionAction:
    slug: str
    service: Callable
    button: Promise
    reason_label: Promise
    done: Promise


INSTRUCTION_ACTIONS = {
    action.slug: action
    for action in (
        InstructionAction(
            slug="completer",
            service=initiative_request_completion,
            button=_("Demander des compléments"),
            reason_label=_("Motif de la demande de compléments"),
            done=_("Le dossier « %(title)s » est renvoyé à son auteur pour être complété."),
        ),
        InstructionAction(
            slug="recevable",
            service=initiative_declare_admissible,
            button=_("Déclarer recevable"),
            reason_label=_("Motif de la recevabilité"),
            done=_("Le dossier « %(title)s » est déclaré recevable."),
        ),
        InstructionAction(
            slug="irrecevable",
            service=initiative_declare_inadmissible,
            button=_("Déclarer irrecevable"),
            reason_label=_("Motif de l'irrecevabilité"),
            done=_("Le dossier « %(title)s » est déclaré irrecevable."),
        ),
    )
}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MAX_REASON,
        help_text=_(
            "L'auteur du dossier recevra ce motif par courriel : dites-lui ce qui manque "
            "ou ce qui justifie la décision."
        ),
        error_messages={"required": _("Indiquez le motif : l'auteur du dossier le lira.")},
    )

    def __init__(self, *args, action, **kwargs):
        super().__init__(*args, prefix=action.slug, **kwargs)
        self.action = action
        field = self.fields["reason"]
        field.label = action.reason_label
        # The error message, when there is one, is read out with the field.
        field_id = self["reason"].id_for_label
        self.reason_error_id = f"{field_id}-errors"
        field.widget.attrs["aria-describedby"] = f"{self.reason_error_id} {field_id}-helptext"

    def add_domain_error(self, error):
        """Puts a refusal of the service on the form, by field when it names one."""
        if not error.errors:
            self.add_error(None, error.message)
        for field, messages_ in error.errors.items():
            for message in messages_:
                self.add_error(field if field in self.fields else None, message)


def _dossier(pk):
    initiative = get_object_or_404(
        Initiative.objects.select_related("fund__quartier", "theme", "author").prefetch_related(
            "budget_lines", "attachments"
        ),
        pk=pk,
    )
    # A draft is still its author's work in progress: not a dossier yet.
    if initiative.status == Status.DRAFT:
        raise Http404
    return initiative


def _budget(initiative):
    lines = list(initiative.budget_lines.all())
    expenses = [line for line in lines if line.kind == BudgetLine.Kind.EXPENSE]
    cofunding = [line for line in lines if line.kind == BudgetLine.Kind.COFUNDING]
    total_expenses = sum((line.amount for line in expenses), start=0)
    total_cofunding = sum((line.amount for line in cofunding), start=0)
    return {
        "expenses": expenses,
        "cofunding": cofunding,
        "total_expenses": total_expenses,
        "total_cofunding": total_cofunding,
        "cofunding_share": (total_cofunding * 100 / total_expenses) if total_expenses else None,
    }


def _render(request, initiative, *, failed_form=None):
    may_instruct = initiative.status == Status.SUBMITTED and can_instruct(request.user, initiative)
    if failed_form is not None:
        # At the top of the page, with Wagtail's button that leads to the message.
        messages.error(request, gettext("L'action n'a pas été enregistrée."))
        failed_form.fields["reason"].widget.attrs["autofocus"] = True
    forms_ = []
    if may_instruct:
        # After a refusal, only the form that failed, with its message: the page is
        # about that one action now (a link offers the others again).
        forms_ = (
            [failed_form]
            if failed_form is not None
            else [ReasonForm(action=action) for action in INSTRUCTION_ACTIONS.values()]
        )
    money = grant_money(initiative)
    return TemplateResponse(
        request,
        "fonds/admin/dossier.html",
        {
            "initiative": initiative,
            "fund": initiative.fund,
            "budget": _budget(initiative),
            "problems": submission_problems(initiative),
            "attachments": list(initiative.attachments.all()),
            "supports": initiative.supports.count(),
            "money": money,
            "money_totals": money_totals(money),
            "may_handle_money": may_handle_money(request.user, initiative),
            "bank": current_bank_details(initiative),
            "report": Report.objects.filter(initiative=initiative).first(),
            "history": dossier_history(initiative),
            "action_forms": forms_,
            # Shown apart when the dossier can no longer take the action that failed.
            "failed_form": failed_form if failed_form is not None and not may_instruct else None,
        },
    )


def dossier_view(request, pk):
    initiative = _dossier(pk)
    if not can_open_dossier(request.user, initiative):
        return forbidden(request)
    return _render(request, initiative)


@require_POST
def instruct_view(request, pk, action):
    """Runs one instruction action. The service decides; a refusal is shown on the
    form and nothing is written."""
    instruction = INSTRUCTION_ACTIONS.get(action)
    if instruction is None:
        raise Http404
    initiative = _dossier(pk)
    if not can_open_dossier(request.user, initiative):
        return forbidden(request)
    form = ReasonForm(request.POST, action=instruction)
    if not form.is_valid():
        return _render(request, initiative, failed_form=form)
    try:
        instruction.service(
            actor=request.user, initiative=initiative, reason=form.cleaned_data["reason"]
        )
    except PermissionDenied as error:
        return forbidden(request, error.message)
    except DomainError as error:
        form.add_domain_error(error)
        return _render(request, _dossier(pk), failed_form=form)
    messages.success(request, instruction.done % {"title": initiative.title})
    return redirect("fonds_backoffice_dossier", pk=initiative.pk)
