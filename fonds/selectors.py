"""Reads shared by pages, the back-office and (later) the API."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEntry
from accounts.search import Folded, fold

from .models import BudgetLine, Initiative

# What the author sees in the timeline of their dossier, by audit action.
TIMELINE_LABELS = {
    "fonds.initiative.create": _("Brouillon créé"),
    "fonds.initiative.submit": _("Dossier déposé"),
    "fonds.initiative.counter_file": _("Déposée au guichet"),
    "fonds.initiative.counter_claim": _("Dossier réclamé en ligne"),
    "fonds.initiative.request_completion": _("Compléments demandés par l'instructeur"),
    "fonds.initiative.admissible": _("Dossier déclaré recevable"),
    "fonds.initiative.inadmissible": _("Dossier déclaré irrecevable"),
    "fonds.initiative.withdraw": _("Dossier retiré"),
    "fonds.initiative.on_agenda": _("Inscrit à l'ordre du jour du conseil"),
    "fonds.initiative.decision_granted": _("Subvention accordée par le conseil"),
    "fonds.initiative.decision_refused": _("Refusé par le conseil"),
    "fonds.initiative.decision_deferred": _("Décision ajournée"),
    "fonds.report.submit": _("Bilan déposé"),
    "fonds.report.ask_completion": _("Compléments du bilan demandés par l'agent"),
    "fonds.report.complete": _("Bilan complété"),
    "fonds.report.refuse": _("Bilan refusé"),
    "fonds.report.accept": _("Bilan accepté, dossier clôturé"),
    "fonds.repayment.request": _("Remboursement demandé"),
    "fonds.repayment.cancel": _("Demande de remboursement annulée"),
}
# Steps whose message is an instructor's words to the carrier.
FROM_INSTRUCTOR = {
    "fonds.initiative.request_completion",
    "fonds.initiative.admissible",
    "fonds.initiative.inadmissible",
    "fonds.report.ask_completion",
    "fonds.report.refuse",
    "fonds.repayment.request",
    "fonds.repayment.cancel",
}


def public_initiatives(*, quartier=None, fund=None, theme=None, status=None, text=None):
    """Public dossiers with their fund, quartier and theme, and their support count,
    filtered; one query whatever their number."""
    queryset = (
        Initiative.objects.public()
        .select_related("fund__quartier", "theme")
        .annotate(support_count=Count("supports"))
        .order_by("-submitted_at", "-pk")
    )
    if quartier:
        queryset = queryset.filter(fund__quartier=quartier)
    if fund:
        queryset = queryset.filter(fund=fund)
    if theme:
        queryset = queryset.filter(theme=theme)
    if status:
        queryset = queryset.filter(status=status)
    if text:
        # Accents and case aside; a carrier is found by name only where public pages
        # print it, that is for an association.
        words = fold(text)
        queryset = queryset.alias(
            folded_title=Folded("title"),
            folded_summary=Folded("summary"),
            folded_carrier=Folded("carrier_name"),
        ).filter(
            Q(folded_title__contains=words)
            | Q(folded_summary__contains=words)
            | Q(folded_carrier__contains=words, carrier_kind=Initiative.CarrierKind.ASSOCIATION)
        )
    return queryset


def map_points(queryset, limit=1000):
    """The located initiatives of a list, as plain data for the map."""
    rows = queryset.filter(latitude__isnull=False, longitude__isnull=False).values_list(
        "pk", "title", "latitude", "longitude", "status"
    )[:limit]
    return [
        {"id": pk, "title": title, "lat": float(lat), "lng": float(lng), "status": str(status)}
        for pk, title, lat, lng, status in rows
    ]


def budget_totals(initiative):
    """Expenses, co-funding and requested amount from the dossier's budget lines (the
    lines must be prefetched or are read once)."""
    expenses = cofunding = Decimal("0")
    for line in initiative.budget_lines.all():
        if line.kind == BudgetLine.Kind.EXPENSE:
            expenses += line.amount
        else:
            cofunding += line.amount
    return {"expenses": expenses, "cofunding": cofunding, "requested": expenses - cofunding}


def timelines(initiatives):
    """The timeline of each dossier, its steps and the money paid or released on its
    grants, in two queries: {initiative pk: [entries]}."""
    from .models import LedgerTransaction
    from .trail import audit_label, ledger_label

    ids = [str(initiative.pk) for initiative in initiatives]
    entries = AuditEntry.objects.filter(
        target_type="fonds.initiative", target_id__in=ids, action__in=TIMELINE_LABELS
    ).order_by("created_at", "id")
    result = defaultdict(list)
    for entry in entries:
        result[int(entry.target_id)].append(
            {
                "at": entry.created_at,
                "label": audit_label(entry)
                if entry.action == "fonds.repayment.request"
                else TIMELINE_LABELS[entry.action],
                "message": entry.data.get("reason", ""),
                "from_instructor": entry.action in FROM_INSTRUCTOR,
            }
        )
    movements = LedgerTransaction.objects.filter(
        grant__initiative_id__in=ids,
        kind__in=[
            LedgerTransaction.Kind.DISBURSE,
            LedgerTransaction.Kind.RELEASE,
            LedgerTransaction.Kind.REPAYMENT,
        ],
    ).annotate(initiative_pk=F("grant__initiative_id"))
    for tx in movements:
        result[tx.initiative_pk].append(
            {
                "at": tx.created_at,
                "label": ledger_label(tx),
                "message": "",
                "from_instructor": False,
                "money": True,
            }
        )
    for entries in result.values():
        entries.sort(key=lambda entry: entry["at"])
    return result


def own_initiatives(user):
    return (
        Initiative.objects.filter(author=user)
        .select_related("fund__quartier", "theme", "report")
        .order_by("-updated_at")
    )


def funds_with_balances(funds):
    """Each fund with its ledger figures (``fonds.ledger.balances_by_fund``) and their
    shares of the envelope for the gauge, in two queries whatever the number of funds."""
    from .ledger import balances_by_fund

    funds = list(funds)
    figures = balances_by_fund(fund.pk for fund in funds)
    for fund in funds:
        balances = figures[fund.pk]
        envelope = balances["envelope"]
        fund.balances = {
            **balances,
            # Shares of the envelope, in whole per cent, for the gauge.
            "paid_pct": _percent(balances["paid"], envelope),
            "committed_pct": _percent(balances["committed"], envelope),
            "available_pct": _percent(balances["available"], envelope),
        }
    return funds


def _percent(part, whole):
    return int(part * 100 / whole) if whole else 0


def grants_of(fund):
    """The fund's grants with what is still committed and what was paid."""
    from django.db.models import Q, Sum

    from .models import Grant, LedgerTransaction

    return (
        Grant.objects.filter(fund=fund)
        .select_related("initiative", "account")
        .annotate(
            paid=Sum(
                "transactions__amount",
                filter=Q(transactions__kind=LedgerTransaction.Kind.DISBURSE),
            ),
            repaid=Sum(
                "transactions__amount",
                filter=Q(transactions__kind=LedgerTransaction.Kind.REPAYMENT),
            ),
        )
        .order_by("decision_reference")
    )


def ledger_rows(fund, *, kind=None, since=None, until=None):
    from .models import LedgerTransaction

    queryset = LedgerTransaction.objects.filter(fund=fund).select_related(
        "grant__initiative", "reverses"
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if since:
        queryset = queryset.filter(created_at__date__gte=since)
    if until:
        queryset = queryset.filter(created_at__date__lte=until)
    return queryset.order_by("-sequence")


def ledger_export_rows(fund):
    """Every transaction of the fund's chain in order, each with its legs, streamed
    from one server-side cursor: memory stays constant whatever the ledger's size."""
    from .models import LedgerLeg

    legs = (
        LedgerLeg.objects.filter(transaction__fund=fund)
        .select_related("transaction__grant__initiative")
        .order_by("transaction__sequence", "pk")
        .iterator(chunk_size=2000)
    )
    current, current_legs = None, []
    for leg in legs:
        if current is not None and leg.transaction_id != current.pk:
            yield current, current_legs
            current_legs = []
        current = leg.transaction
        current_legs.append(leg)
    if current is not None:
        yield current, current_legs
