import csv
import datetime
import json
import uuid

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.dates import long_date
from accounts.errors import DomainError
from accounts.forms import add_domain_error
from accounts.predicates import is_administrator, is_instructor_of
from fonds.closing import MAX_REASON as CLOSING_REASON
from fonds.closing import closing_preview, fund_close, next_funds
from fonds.forms import DateInput
from fonds.ledger import (
    canonical_content,
    is_closed,
    ledger_credit,
    ledger_reverse,
    repaid_by_fund,
)
from fonds.models import Fund, FundClosing, LedgerTransaction
from fonds.money import euros, parse_amount
from fonds.selectors import funds_with_balances, grants_of, ledger_export_rows, ledger_rows

PAGE_SIZE = 50


def fund_list(request):
    funds = funds_with_balances(
        Fund.objects.select_related("quartier").order_by("-period_start", "quartier__name")
    )
    return render(request, "fonds/fund_list.html", {"funds": funds})


def fund_detail(request, slug):
    fund = get_object_or_404(Fund.objects.select_related("quartier"), slug=slug)
    funds_with_balances([fund])
    user = request.user
    head = fund.accounts.filter(kind="fund_available").values_list("head_hash", flat=True).first()
    closing = FundClosing.objects.select_related("next_fund").filter(fund=fund).first()
    return render(
        request,
        "fonds/fund_detail.html",
        {
            "fund": fund,
            "grants": grants_of(fund),
            "head_hash": head,
            "repaid": repaid_by_fund([fund.pk]).get(fund.pk),
            "closing": closing,
            "carried_in": FundClosing.objects.select_related("fund").filter(next_fund=fund),
            "can_credit": is_administrator(user) and closing is None,
            "can_close": is_administrator(user) and closing is None,
            "can_pay": is_instructor_of(user, fund.quartier_id),
        },
    )


class LedgerFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Type d'opération"),
        required=False,
        choices=[("", gettext_lazy("Toutes"))] + list(LedgerTransaction.Kind.choices),
    )
    since = forms.DateField(label=gettext_lazy("Du"), required=False, widget=DateInput())
    until = forms.DateField(label=gettext_lazy("Au"), required=False, widget=DateInput())


def fund_ledger(request, slug):
    fund = get_object_or_404(Fund.objects.select_related("quartier"), slug=slug)
    export = request.GET.get("format")
    if export == "csv":
        return _csv_export(fund)
    if export == "json":
        return _json_export(fund)
    form = LedgerFilterForm(request.GET or None)
    form.is_valid()
    filters = getattr(form, "cleaned_data", {})
    page = Paginator(
        ledger_rows(
            fund, kind=filters.get("kind"), since=filters.get("since"), until=filters.get("until")
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    head = fund.accounts.filter(kind="fund_available").values_list(
        "head_sequence", "head_hash"
    ).first() or (0, "0" * 64)
    can_reverse = is_administrator(request.user) and not is_closed(fund)
    reversed_ids = set()
    if can_reverse:
        shown = [tx.pk for tx in page.object_list]
        reversed_ids = set(
            LedgerTransaction.objects.filter(reverses__in=shown).values_list(
                "reverses_id", flat=True
            )
        )
    return render(
        request,
        "fonds/fund_ledger.html",
        {
            "fund": fund,
            "form": form,
            "page_obj": page,
            "query": query.urlencode(),
            "head_sequence": head[0],
            "head_hash": head[1],
            "can_reverse": can_reverse,
            "reversed_ids": reversed_ids,
            "reversible": REVERSIBLE,
        },
    )


EXPORT_FIELDS = [
    "sequence",
    "created_at",
    "kind",
    "amount",
    "reference",
    "payment_date",
    "memo",
    "grant",
    "beneficiary",
    "beneficiary_number",
    "carrier",
    "reverses",
    "pair",
    "legs",
    "previous_hash",
    "hash",
    "canonical",
]


def _beneficiary(tx):
    """Who the grant's money goes to (the host association of a residents' group) and
    who carries the initiative, as public pages name them."""
    if tx.grant_id is None:
        return {"beneficiary": None, "beneficiary_number": None, "carrier": None}
    initiative = tx.grant.initiative
    return {
        "beneficiary": str(initiative.beneficiary),
        "beneficiary_number": initiative.beneficiary_number or None,
        "carrier": str(initiative.public_carrier),
    }


def _export_record(tx, legs):
    return {
        "sequence": tx.sequence,
        "created_at": tx.created_at.isoformat(),
        "kind": tx.kind,
        "amount": f"{tx.amount:.2f}",
        "reference": tx.reference,
        "payment_date": tx.payment_date.isoformat() if tx.payment_date else None,
        "memo": tx.memo,
        "grant": tx.grant_id,
        **_beneficiary(tx),
        "reverses": tx.reverses_id,
        "pair": tx.pair_id,
        "legs": [{"account": leg.account_id, "amount": f"{leg.amount:.2f}"} for leg in legs],
        "previous_hash": tx.previous_hash,
        "hash": tx.hash,
        "canonical": canonical_content(tx, legs),
    }


class _Echo:
    def write(self, value):
        return value


def _spreadsheet_safe(text):
    """Text typed by staff must not run as a formula when the CSV is opened in a
    spreadsheet: a leading = + - @ (or tab, carriage return) is quoted."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _csv_export(fund):
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(EXPORT_FIELDS)
        for tx, legs in ledger_export_rows(fund):
            record = _export_record(tx, legs)
            record["legs"] = " ".join(f"{leg['account']}:{leg['amount']}" for leg in record["legs"])
            for name in ("reference", "memo", "beneficiary", "carrier"):
                record[name] = _spreadsheet_safe(record[name])
            yield writer.writerow(
                [record[name] if record[name] is not None else "" for name in EXPORT_FIELDS]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="grand-livre-{fund.slug}.csv"'
    return response


def _json_export(fund):
    def chunks():
        yield '{"fund": ' + json.dumps(fund.slug) + ', "transactions": ['
        first = True
        for tx, legs in ledger_export_rows(fund):
            yield ("" if first else ",") + json.dumps(_export_record(tx, legs), ensure_ascii=False)
            first = False
        yield "]}"

    response = StreamingHttpResponse(chunks(), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="grand-livre-{fund.slug}.json"'
    return response


# Staff actions: a form, a confirmation step, then the posting. A fresh login is
# required (allauth re-authentication); the idempotency key is fixed when the form is
# first shown, so a double submission is harmless.


class AmountField(forms.CharField):
    """An amount in euros, checked like the ledger will check it, so that the
    confirmation step never shows an amount the ledger would refuse."""

    def clean(self, value):
        value = super().clean(value)
        try:
            parse_amount(value)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return value


class LedgerActionForm(forms.Form):
    """A staff action on the ledger. ``confirmation`` is what the confirmation step
    shows, written out (amounts and dates in the page's language); ``warnings`` are what
    the person must acknowledge before the posting (a box to tick)."""

    key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def confirmation(self):
        rows = []
        for field in self.visible_fields():
            value = self.cleaned_data.get(field.name)
            if isinstance(field.field, AmountField):
                value = euros(parse_amount(value))
            elif isinstance(value, datetime.date):
                value = long_date(value)
            rows.append((field.label, value))
        return rows

    def warnings(self):
        return []


class CreditForm(LedgerActionForm):
    amount = AmountField(label=gettext_lazy("Montant de l'enveloppe (€)"), max_length=20)
    memo = forms.CharField(label=gettext_lazy("Libellé"), max_length=300, required=False)


class GrantActionForm(LedgerActionForm):
    """An action on a grant: the amount may not exceed what is still committed."""

    def __init__(self, *args, grant, **kwargs):
        super().__init__(*args, **kwargs)
        self.grant = grant

    def clean_amount(self):
        value = self.cleaned_data["amount"]
        left = self.grant.account.balance
        if parse_amount(value) > left:
            raise forms.ValidationError(
                _("Le montant dépasse ce qui reste engagé sur cette subvention : %(left)s.")
                % {"left": euros(left)}
            )
        return value


class PaymentForm(GrantActionForm):
    amount = AmountField(label=gettext_lazy("Montant versé (€)"), max_length=20)
    payment_reference = forms.CharField(
        label=gettext_lazy("Référence du paiement (mandat, virement)"), max_length=100
    )
    payment_date = forms.DateField(label=gettext_lazy("Date du paiement"), widget=DateInput())
    field_order = ["amount", "payment_reference", "payment_date"]

    def clean_payment_date(self):
        day = self.cleaned_data["payment_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("La date du paiement est requise et ne peut être dans le futur.")
            )
        return day

    def clean(self):
        from fonds.services.bank import payment_account

        cleaned = super().clean()
        try:
            payment_account(self.grant)
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return cleaned

    def warnings(self):
        reference = (self.cleaned_data.get("payment_reference") or "").strip()
        used = self.grant.transactions.filter(
            kind=LedgerTransaction.Kind.DISBURSE, reference=reference
        ).first()
        if used is None:
            return []
        return [
            _(
                "Un paiement de %(amount)s porte déjà la référence « %(reference)s » sur cette "
                "subvention (payé le %(date)s). S'agit-il bien d'un autre paiement ?"
            )
            % {
                "amount": euros(used.amount),
                "reference": reference,
                "date": long_date(used.payment_date),
            }
        ]


class ReleaseForm(GrantActionForm):
    amount = AmountField(label=gettext_lazy("Montant libéré (€)"), max_length=20)
    memo = forms.CharField(label=gettext_lazy("Motif"), max_length=300)
    field_order = ["amount", "memo"]


def staff_action(
    request,
    *,
    form_class,
    allowed,
    post,
    title,
    back,
    summary,
    initial=None,
    form_kwargs=None,
    template="fonds/ledger_action.html",
    done=None,
    key_prefix=None,
    confirm_note=None,
    confirm_button=None,
    extra_context=None,
):
    """A form, a confirmation step (with what must be acknowledged), then the posting.
    A refusal of the ledger is shown on the form and nothing is written. The same
    confirmed form sent again (a double click, a reload) finds its posting written and
    goes where the first one went."""
    done = done or _("L'opération est inscrite au grand livre.")
    if key_prefix and request.method == "POST" and request.POST.get("confirmed") == "1":
        # The person's own posting, already written (the action may be over since: a
        # request settled by it).
        key = request.POST.get("key", "")
        written = LedgerTransaction.objects.filter(
            idempotency_key=f"{key_prefix}-{key}", actor_id=request.user.pk
        )
        if key and request.user.is_authenticated and written.exists():
            messages.success(request, done)
            return redirect(back)
    if not allowed:
        raise Http404
    form = form_class(
        request.POST or None,
        initial={"key": uuid.uuid4().hex, **(initial or {})},
        **(form_kwargs or {}),
    )
    confirming, warnings, unacknowledged = False, [], False
    if request.method == "POST" and form.is_valid():
        warnings = form.warnings()
        acknowledged = not warnings or request.POST.get("acknowledge") == "1"
        if request.POST.get("confirmed") == "1" and acknowledged:
            try:
                post(form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, done)
                return redirect(back)
        else:
            confirming = True
            unacknowledged = request.POST.get("confirmed") == "1"
    return render(
        request,
        template,
        {
            "form": form,
            "title": title,
            "confirming": confirming,
            "confirmation": form.confirmation() if confirming else [],
            "warnings": warnings,
            "unacknowledged": unacknowledged,
            "back": back,
            "summary": summary,
            "confirm_note": confirm_note,
            "confirm_button": confirm_button,
            **(extra_context or {}),
        },
    )


@login_required
@reauthentication_required
def fund_credit(request, slug):
    fund = get_object_or_404(Fund.objects.select_related("quartier"), slug=slug)
    return staff_action(
        request,
        form_class=CreditForm,
        allowed=is_administrator(request.user),
        title=_("Créditer l'enveloppe du fonds « %(fund)s »") % {"fund": fund},
        back=fund.get_absolute_url(),
        summary=[(_("Fonds"), str(fund))],
        key_prefix="credit",
        post=lambda data: ledger_credit(
            actor=request.user,
            fund=fund,
            amount=data["amount"],
            memo=data["memo"],
            idempotency_key=f"credit-{data['key']}",
        ),
    )


class ClosingForm(LedgerActionForm):
    next_fund = forms.ModelChoiceField(
        label=gettext_lazy("Fonds de la période suivante, qui reçoit les reports"),
        queryset=Fund.objects.none(),
        required=False,
        empty_label=gettext_lazy("Aucun (rien n'est reporté)"),
    )
    envelope = forms.ChoiceField(
        label=gettext_lazy("L'enveloppe non dépensée"),
        choices=FundClosing.Envelope.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=gettext_lazy("Motif de la clôture"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=CLOSING_REASON,
        help_text=gettext_lazy("Publié avec la clôture, sur la page du fonds."),
    )
    field_order = ["next_fund", "envelope", "reason"]

    def __init__(self, *args, fund, **kwargs):
        super().__init__(*args, **kwargs)
        self.fund = fund
        choices = next_funds(fund).select_related("quartier")
        self.fields["next_fund"].queryset = choices
        self.fields["next_fund"].label_from_instance = lambda f: f.label
        first = choices.first()
        if first is not None:
            self.fields["next_fund"].initial = first.pk

    def confirmation(self):
        data = self.cleaned_data
        envelope = dict(FundClosing.Envelope.choices)[data["envelope"]]
        return [
            (self.fields["next_fund"].label, data["next_fund"].label if data["next_fund"] else "—"),
            (self.fields["envelope"].label, envelope),
            (self.fields["reason"].label, data["reason"]),
        ]


@login_required
@reauthentication_required
def fund_close_view(request, slug):
    fund = get_object_or_404(Fund.objects.select_related("quartier"), slug=slug)
    if is_closed(fund):
        messages.info(request, _("La période de ce fonds est déjà close."))
        return redirect(fund.get_absolute_url())
    preview = closing_preview(fund)
    return staff_action(
        request,
        form_class=ClosingForm,
        form_kwargs={"fund": fund},
        allowed=is_administrator(request.user),
        title=_("Clore la période du fonds « %(fund)s »") % {"fund": fund},
        back=fund.get_absolute_url(),
        summary=[
            (_("Fonds"), str(fund)),
            (_("Période"), f"{long_date(fund.period_start)} – {long_date(fund.period_end)}"),
            (_("Engagements à reporter"), euros(preview["carried"])),
            (_("Enveloppe non dépensée"), euros(preview["unspent"])),
        ],
        done=_("La période du fonds est close ; les reports sont inscrits au grand livre."),
        confirm_note=_(
            "La clôture est définitive : le fonds ne recevra plus aucune écriture, les "
            "subventions encore engagées continuent sur le fonds choisi."
        ),
        confirm_button=_("Confirmer et clore la période"),
        extra_context={"intro": "fonds/includes/closing_preview.html", "preview_data": preview},
        post=lambda data: fund_close(
            actor=request.user,
            fund=fund,
            next_fund=data["next_fund"],
            envelope=data["envelope"],
            reason=data["reason"],
            idempotency_key=f"close-{data['key']}",
        ),
    )


# What an administrator may reverse: the entries of a closing go with the closing.
REVERSIBLE = (
    LedgerTransaction.Kind.CREDIT,
    LedgerTransaction.Kind.COMMIT,
    LedgerTransaction.Kind.DISBURSE,
    LedgerTransaction.Kind.RELEASE,
    LedgerTransaction.Kind.REPAYMENT,
)


class ReversalForm(LedgerActionForm):
    memo = forms.CharField(
        label=gettext_lazy("Motif de la contre-passation"),
        max_length=300,
        help_text=gettext_lazy(
            "Publié au grand livre avec l'écriture : dites quelle erreur elle corrige."
        ),
    )


@login_required
@reauthentication_required
def fund_reverse(request, slug, sequence):
    """An administrator posts the exact opposite of an entry made in error."""
    fund = get_object_or_404(Fund.objects.select_related("quartier"), slug=slug)
    original = get_object_or_404(LedgerTransaction, fund=fund, sequence=sequence)
    reversed_already = LedgerTransaction.objects.filter(reverses=original).exists()
    return staff_action(
        request,
        form_class=ReversalForm,
        allowed=is_administrator(request.user)
        and original.kind in REVERSIBLE
        and not reversed_already
        and not is_closed(fund),
        title=_("Contre-passer l'opération n° %(n)s") % {"n": original.sequence},
        back=reverse("fund_ledger", args=[fund.slug]),
        summary=[
            (_("Fonds"), str(fund)),
            (_("Opération"), original.get_kind_display()),
            (_("Montant"), euros(original.amount)),
            (_("Référence"), original.reference or "—"),
            (_("Inscrite le"), long_date(original.created_at)),
        ],
        done=_("La contre-passation est inscrite au grand livre."),
        key_prefix="reverse",
        post=lambda data: ledger_reverse(
            actor=request.user,
            original=original,
            memo=data["memo"],
            idempotency_key=f"reverse-{data['key']}",
        ),
    )
