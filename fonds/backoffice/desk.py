"""The money of a dossier at the instructors' desk: payments and releases on its grants,
and the review of its bilan (accept and release, ask for more, refuse), each in the
Wagtail admin beside the dossier."""

import datetime

from allauth.account.decorators import reauthentication_required
from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin import messages

from accounts.dates import long_date
from accounts.errors import DomainError, PermissionDenied
from accounts.forms import add_domain_error
from accounts.predicates import is_instructor_of
from fonds.forms import DateInput
from fonds.ledger import ledger_disburse, ledger_release, ledger_repay, paid_on
from fonds.models import (
    BankDetails,
    Grant,
    Initiative,
    RepaymentRequest,
    Report,
    ReportDocument,
)
from fonds.money import euros, format_euros, parse_amount
from fonds.services import (
    repayment_request_cancel,
    repayment_request_create,
    report_accept,
    report_ask_completion,
    report_hide_photo,
    report_refuse,
)
from fonds.services.bank import bank_details_confirm, payment_account
from fonds.services.repayments import MAX_REASON as REPAYMENT_REASON
from fonds.services.repayments import over_room_message, repayment_room, still_asked
from fonds.services.reports import MAX_HIDDEN_REASON, MAX_REVIEW_REASON
from fonds.trail import comparison, grant_money
from fonds.views.ledger import (
    AmountField,
    LedgerActionForm,
    PaymentForm,
    ReleaseForm,
    staff_action,
)

from .access import can_open_dossier, forbidden


def may_handle_money(user, initiative):
    """An instructor of the dossier's quartier who is not its author."""
    return is_instructor_of(user, initiative.fund.quartier_id) and (initiative.author_id != user.pk)


def _grant(request, pk):
    grant = get_object_or_404(
        Grant.objects.select_related("fund__quartier", "initiative", "account"), pk=pk
    )
    summary = [
        (_("Décision"), grant.decision_reference),
        (_("Initiative"), grant.initiative.title),
        (_("Reste engagé"), euros(grant.account.balance)),
    ]
    return grant, may_handle_money(request.user, grant.initiative), summary


def _dossier_url(initiative_id):
    return reverse("fonds_backoffice_dossier", args=[initiative_id])


def _account_row(grant):
    try:
        account = payment_account(grant)
    except DomainError as error:
        return (_("Compte du porteur"), error.message)
    return (_("Versé sur le compte"), f"{account.holder} — {account.grouped}")


@reauthentication_required
def grant_payment(request, pk):
    grant, allowed, summary = _grant(request, pk)
    summary.append(_account_row(grant))
    return staff_action(
        request,
        form_class=PaymentForm,
        form_kwargs={"grant": grant},
        allowed=allowed,
        title=_("Enregistrer un paiement"),
        back=_dossier_url(grant.initiative_id),
        summary=summary,
        initial={"payment_date": timezone.localdate()},
        template="fonds/admin/ledger_action.html",
        done=_("Le paiement est inscrit au grand livre ; le porteur en est prévenu."),
        key_prefix="disburse",
        post=lambda data: ledger_disburse(
            actor=request.user,
            grant=grant,
            amount=data["amount"],
            payment_reference=data["payment_reference"],
            payment_date=data["payment_date"],
            idempotency_key=f"disburse-{data['key']}",
        ),
    )


@reauthentication_required
def grant_release(request, pk):
    grant, allowed, summary = _grant(request, pk)
    return staff_action(
        request,
        form_class=ReleaseForm,
        form_kwargs={"grant": grant},
        allowed=allowed,
        title=_("Libérer le montant non dépensé"),
        back=_dossier_url(grant.initiative_id),
        summary=summary,
        template="fonds/admin/ledger_action.html",
        key_prefix="release",
        post=lambda data: ledger_release(
            actor=request.user,
            grant=grant,
            amount=data["amount"],
            memo=data["memo"],
            idempotency_key=f"release-{data['key']}",
        ),
    )


class ReviewReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=MAX_REVIEW_REASON, required=False
    )

    def __init__(self, *args, label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label


class HidePhotoForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif du masquage"), max_length=MAX_HIDDEN_REASON, required=False
    )


REVIEW_ACTIONS = {
    "completer": (
        report_ask_completion,
        gettext_lazy("Ce qui manque au bilan"),
        gettext_lazy("Le porteur est prié de compléter son bilan ; il en est prévenu."),
    ),
    "refuser": (
        report_refuse,
        gettext_lazy("Motif du refus"),
        gettext_lazy(
            "Le bilan est refusé ; le porteur en est prévenu. Rien n'est libéré : le montant "
            "engagé attend une décision."
        ),
    ),
}


def _initiative(pk):
    initiative = get_object_or_404(
        Initiative.objects.select_related("fund__quartier", "author").prefetch_related(
            "budget_lines"
        ),
        pk=pk,
    )
    if initiative.status == Initiative.Status.DRAFT:
        raise Http404
    return initiative


def _render_review(request, initiative, *, forms_=None, confirming_accept=False, status=200):
    report = Report.objects.prefetch_related("documents").filter(initiative=initiative).first()
    money = grant_money(initiative)
    waiting = report is not None and report.status == Report.Status.SUBMITTED
    may_review = waiting and may_handle_money(request.user, initiative)
    forms_ = forms_ or {}
    review_forms = {
        slug: forms_.get(slug) or ReviewReasonForm(label=label, prefix=slug)
        for slug, (_service, label, _done) in REVIEW_ACTIONS.items()
    }
    documents = list(report.documents.all()) if report else []
    return TemplateResponse(
        request,
        "fonds/admin/report.html",
        {
            "initiative": initiative,
            "report": report,
            "money": money,
            "comparison": comparison(initiative, report, money),
            "receipts": [d for d in documents if d.kind == ReportDocument.Kind.RECEIPT],
            "photos": [d for d in documents if d.kind == ReportDocument.Kind.PHOTO],
            "may_review": may_review,
            "may_hide": report is not None and may_handle_money(request.user, initiative),
            "review_forms": review_forms if may_review else {},
            "hide_form": forms_.get("hide") or HidePhotoForm(),
            "confirming_accept": confirming_accept and may_review,
        },
        status=status,
    )


def report_review(request, pk):
    initiative = _initiative(pk)
    if not can_open_dossier(request.user, initiative):
        return forbidden(request)
    return _render_review(request, initiative)


@require_POST
@reauthentication_required
def report_decide(request, pk, action):
    """Accept (after a confirmation that shows what will be released), ask the carrier to
    complete, or refuse. The service decides; a refusal is shown and nothing is written."""
    initiative = _initiative(pk)
    if not can_open_dossier(request.user, initiative):
        return forbidden(request)
    report = get_object_or_404(Report, initiative=initiative)
    back = reverse("fonds_backoffice_report", args=[pk])
    if action == "accepter":
        if request.POST.get("confirmed") != "1":
            return _render_review(request, initiative, confirming_accept=True)
        try:
            report_accept(actor=request.user, report=report)
        except PermissionDenied as error:
            return forbidden(request, error.message)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect(back)
        messages.success(
            request, _("Bilan accepté : le reste engagé est libéré et le dossier clôturé.")
        )
        return redirect(_dossier_url(pk))
    if action not in REVIEW_ACTIONS:
        raise Http404
    service, label, done = REVIEW_ACTIONS[action]
    form = ReviewReasonForm(request.POST, label=label, prefix=action)
    if form.is_valid():
        try:
            service(actor=request.user, report=report, reason=form.cleaned_data["reason"])
        except PermissionDenied as error:
            return forbidden(request, error.message)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, str(done))
            return redirect(back)
    messages.error(request, _("L'action n'a pas été enregistrée."))
    return _render_review(request, initiative, forms_={action: form}, status=200)


@require_POST
def report_photo_hide(request, pk, document_pk):
    initiative = _initiative(pk)
    if not can_open_dossier(request.user, initiative):
        return forbidden(request)
    document = get_object_or_404(
        ReportDocument.objects.select_related("report__initiative__fund"),
        pk=document_pk,
        report__initiative=initiative,
    )
    form = HidePhotoForm(request.POST)
    if form.is_valid():
        try:
            report_hide_photo(
                actor=request.user, document=document, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied as error:
            return forbidden(request, error.message)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("La photo n'est plus montrée sur la page publique."))
            return redirect(reverse("fonds_backoffice_report", args=[pk]) + "#photos-title")
    messages.error(request, _("L'action n'a pas été enregistrée."))
    return _render_review(request, initiative, forms_={"hide": form})


# Money coming back -----------------------------------------------------------------------


class RepaymentRequestForm(LedgerActionForm):
    amount = AmountField(label=gettext_lazy("Montant à rembourser (€)"), max_length=20)
    due_on = forms.DateField(label=gettext_lazy("Date limite"), widget=DateInput())
    reason = forms.CharField(
        label=gettext_lazy("Motif de la demande"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=REPAYMENT_REASON,
        help_text=gettext_lazy(
            "Le porteur le lira : un bilan refusé après paiement, une action annulée…"
        ),
    )
    field_order = ["amount", "due_on", "reason"]

    def __init__(self, *args, grant, **kwargs):
        super().__init__(*args, **kwargs)
        self.grant = grant

    def clean_amount(self):
        value = self.cleaned_data["amount"]
        room = repayment_room(self.grant)
        if parse_amount(value) > room:
            raise forms.ValidationError(over_room_message(room))
        return value


class RepaymentForm(LedgerActionForm):
    amount = AmountField(label=gettext_lazy("Montant reçu (€)"), max_length=20)
    payment_reference = forms.CharField(
        label=gettext_lazy("Référence de l'encaissement (titre de recette)"), max_length=100
    )
    payment_date = forms.DateField(label=gettext_lazy("Date de l'encaissement"), widget=DateInput())
    field_order = ["amount", "payment_reference", "payment_date"]

    def __init__(self, *args, request_, **kwargs):
        super().__init__(*args, **kwargs)
        self.repayment_request = request_

    def clean_amount(self):
        value = self.cleaned_data["amount"]
        left = self.repayment_request.amount - self.repayment_request.repaid
        if parse_amount(value) > left:
            raise forms.ValidationError(
                _("La demande n'attend plus que %(left)s.") % {"left": euros(left)}
            )
        return value

    def clean_payment_date(self):
        day = self.cleaned_data["payment_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("La date de l'encaissement est requise et ne peut être dans le futur.")
            )
        return day


class CancelRequestForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Motif de l'annulation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REPAYMENT_REASON,
    )


def _grant_summary(grant):
    paid = paid_on(grant)
    return [
        (_("Décision"), grant.decision_reference),
        (_("Initiative"), grant.initiative.title),
        (_("Versé et non remboursé"), euros(paid)),
        (_("Déjà demandé, en attente"), euros(still_asked(grant))),
    ]


@reauthentication_required
def repayment_ask(request, pk):
    grant, allowed, _summary = _grant(request, pk)
    return staff_action(
        request,
        form_class=RepaymentRequestForm,
        form_kwargs={"grant": grant},
        allowed=allowed,
        title=_("Demander un remboursement"),
        back=_dossier_url(grant.initiative_id),
        summary=_grant_summary(grant),
        initial={"due_on": timezone.localdate() + datetime.timedelta(days=30)},
        template="fonds/admin/ledger_action.html",
        done=_("La demande de remboursement est enregistrée ; le porteur en est prévenu."),
        confirm_note=_(
            "Le porteur recevra la demande, son montant, sa date limite et son motif. Le "
            "remboursement sera inscrit au grand livre quand il sera reçu."
        ),
        confirm_button=_("Confirmer et envoyer la demande"),
        post=lambda data: repayment_request_create(
            actor=request.user,
            grant=grant,
            amount=data["amount"],
            due_on=data["due_on"],
            reason=data["reason"],
        ),
    )


def _repayment_request(request, pk):
    repayment = get_object_or_404(
        RepaymentRequest.objects.select_related(
            "grant__fund__quartier", "grant__initiative", "grant__account"
        ),
        pk=pk,
    )
    return repayment, may_handle_money(request.user, repayment.grant.initiative)


@reauthentication_required
def repayment_receive(request, pk):
    repayment, allowed = _repayment_request(request, pk)
    grant = repayment.grant
    if repayment.status != RepaymentRequest.Status.OPEN:
        allowed = False
    return staff_action(
        request,
        form_class=RepaymentForm,
        form_kwargs={"request_": repayment},
        allowed=allowed,
        title=_("Enregistrer un remboursement reçu"),
        back=_dossier_url(grant.initiative_id),
        summary=[
            *_grant_summary(grant),
            (_("Demande"), euros(repayment.amount)),
            (_("Déjà reçu sur la demande"), euros(repayment.repaid)),
            (_("Date limite"), long_date(repayment.due_on)),
        ],
        initial={
            "amount": format_euros(repayment.amount - repayment.repaid),
            "payment_date": timezone.localdate(),
        },
        template="fonds/admin/ledger_action.html",
        done=_("Le remboursement est inscrit au grand livre : il revient au fonds."),
        key_prefix="repay",
        post=lambda data: ledger_repay(
            actor=request.user,
            grant=grant,
            amount=data["amount"],
            payment_reference=data["payment_reference"],
            payment_date=data["payment_date"],
            request=repayment,
            idempotency_key=f"repay-{data['key']}",
        ),
    )


@require_POST
def repayment_cancel(request, pk):
    repayment, allowed = _repayment_request(request, pk)
    if not allowed:
        return forbidden(request)
    form = CancelRequestForm(request.POST, prefix=f"annuler-{repayment.pk}")
    back = _dossier_url(repayment.grant.initiative_id)
    if form.is_valid():
        try:
            repayment_request_cancel(
                actor=request.user, request=repayment, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied as error:
            return forbidden(request, error.message)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("La demande de remboursement est annulée."))
        return redirect(back + "#money-title")
    messages.error(request, _("Indiquez le motif de l'annulation : le porteur le lira."))
    return redirect(back + "#money-title")


@require_POST
def bank_confirm(request, pk):
    """An instructor confirms an account the carrier gave after the decision."""
    initiative = _initiative(pk)
    if not may_handle_money(request.user, initiative):
        return forbidden(request)
    details = get_object_or_404(
        BankDetails.objects.select_related("initiative__fund"),
        pk=request.POST.get("details") if str(request.POST.get("details", "")).isdigit() else 0,
        initiative=initiative,
    )
    try:
        bank_details_confirm(actor=request.user, details=details)
    except PermissionDenied as error:
        return forbidden(request, error.message)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Le nouveau compte est confirmé : les paiements y iront."))
    return redirect(_dossier_url(pk) + "#bank-title")
