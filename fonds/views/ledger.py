import csv
import json
import uuid

from allauth.account.decorators import reauthentication_required
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import DomainError
from accounts.forms import add_domain_error
from accounts.predicates import is_administrator, is_instructor_of
from fonds.forms import DateInput
from fonds.ledger import canonical_content, ledger_credit, ledger_disburse, ledger_release
from fonds.models import Fund, Grant, LedgerTransaction
from fonds.money import format_euros, parse_amount
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
    return render(
        request,
        "fonds/fund_detail.html",
        {
            "fund": fund,
            "grants": grants_of(fund),
            "head_hash": head,
            "can_credit": is_administrator(user),
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
    "reverses",
    "legs",
    "previous_hash",
    "hash",
    "canonical",
]


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
        "reverses": tx.reverses_id,
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
            for name in ("reference", "memo"):
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


class CreditForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Montant de l'enveloppe (€)"), max_length=20)
    memo = forms.CharField(label=gettext_lazy("Libellé"), max_length=300, required=False)
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class PaymentForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Montant versé (€)"), max_length=20)
    payment_reference = forms.CharField(
        label=gettext_lazy("Référence du paiement (mandat, virement)"), max_length=100
    )
    payment_date = forms.DateField(label=gettext_lazy("Date du paiement"), widget=DateInput())
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def clean_payment_date(self):
        day = self.cleaned_data["payment_date"]
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("La date du paiement est requise et ne peut être dans le futur.")
            )
        return day


class ReleaseForm(forms.Form):
    amount = AmountField(label=gettext_lazy("Montant libéré (€)"), max_length=20)
    memo = forms.CharField(label=gettext_lazy("Motif"), max_length=300)
    key = forms.CharField(widget=forms.HiddenInput, max_length=100)


def _staff_action(request, *, form_class, allowed, post, title, back, summary, initial=None):
    if not allowed:
        raise Http404
    form = form_class(request.POST or None, initial={"key": uuid.uuid4().hex, **(initial or {})})
    confirming = False
    if request.method == "POST" and form.is_valid():
        if request.POST.get("confirmed") == "1":
            try:
                post(form.cleaned_data)
            except DomainError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("L'opération est inscrite au grand livre."))
                return redirect(back)
        else:
            confirming = True
    return render(
        request,
        "fonds/ledger_action.html",
        {"form": form, "title": title, "confirming": confirming, "back": back, "summary": summary},
    )


@login_required
@reauthentication_required
def fund_credit(request, slug):
    fund = get_object_or_404(Fund.objects.select_related("quartier"), slug=slug)
    return _staff_action(
        request,
        form_class=CreditForm,
        allowed=is_administrator(request.user),
        title=_("Créditer l'enveloppe du fonds « %(fund)s »") % {"fund": fund},
        back=fund.get_absolute_url(),
        summary=[(_("Fonds"), str(fund))],
        post=lambda data: ledger_credit(
            actor=request.user,
            fund=fund,
            amount=data["amount"],
            memo=data["memo"],
            idempotency_key=f"credit-{data['key']}",
        ),
    )


def _grant(request, pk):
    grant = get_object_or_404(
        Grant.objects.select_related("fund__quartier", "initiative", "account"), pk=pk
    )
    allowed = is_instructor_of(request.user, grant.fund.quartier_id) and (
        grant.initiative.author_id != request.user.pk
    )
    summary = [
        (_("Décision"), grant.decision_reference),
        (_("Initiative"), grant.initiative.title),
        (_("Reste engagé"), f"{format_euros(grant.account.balance)} €"),
    ]
    return grant, allowed, summary


@login_required
@reauthentication_required
def grant_payment(request, pk):
    grant, allowed, summary = _grant(request, pk)
    return _staff_action(
        request,
        form_class=PaymentForm,
        allowed=allowed,
        title=_("Enregistrer un paiement"),
        back=grant.fund.get_absolute_url(),
        summary=summary,
        initial={"payment_date": timezone.localdate()},
        post=lambda data: ledger_disburse(
            actor=request.user,
            grant=grant,
            amount=data["amount"],
            payment_reference=data["payment_reference"],
            payment_date=data["payment_date"],
            idempotency_key=f"disburse-{data['key']}",
        ),
    )


@login_required
@reauthentication_required
def grant_release(request, pk):
    grant, allowed, summary = _grant(request, pk)
    return _staff_action(
        request,
        form_class=ReleaseForm,
        allowed=allowed,
        title=_("Libérer le montant non dépensé"),
        back=grant.fund.get_absolute_url(),
        summary=summary,
        post=lambda data: ledger_release(
            actor=request.user,
            grant=grant,
            amount=data["amount"],
            memo=data["memo"],
            idempotency_key=f"release-{data['key']}",
        ),
    )
