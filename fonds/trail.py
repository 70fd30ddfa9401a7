"""The trail of a dossier's money, in words: what was granted, paid, released and is
still committed on each grant; every audited step and ledger movement, for the
instructors' desk; the bilan against the dossier; what the public and the carrier read."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import audit_by_system, audit_entries_for
from accounts.dates import long_date
from fonds.models import BudgetLine, Grant, LedgerTransaction
from fonds.money import euros

Kind = LedgerTransaction.Kind

# Steps that read the same whatever their data.
PLAIN_LABELS = {
    "fonds.initiative.create": gettext_lazy("Brouillon créé"),
    "fonds.initiative.update": gettext_lazy("Dossier modifié"),
    "fonds.initiative.budget": gettext_lazy("Budget modifié"),
    "fonds.initiative.attach": gettext_lazy("Pièce jointe ajoutée"),
    "fonds.initiative.detach": gettext_lazy("Pièce jointe retirée"),
    "fonds.initiative.attachment_public": gettext_lazy("Pièce jointe rendue publique"),
    "fonds.initiative.attachment_private": gettext_lazy("Pièce jointe rendue privée"),
    "fonds.initiative.photo": gettext_lazy("Photo ajoutée"),
    "fonds.initiative.submit": gettext_lazy("Dossier déposé"),
    "fonds.initiative.counter_file": gettext_lazy("Déposée au guichet"),
    "fonds.initiative.counter_new_code": gettext_lazy("Nouveau code de réclamation créé"),
    "fonds.initiative.counter_claim": gettext_lazy("Dossier réclamé en ligne par son porteur"),
    "fonds.initiative.request_completion": gettext_lazy("Compléments demandés"),
    "fonds.initiative.admissible": gettext_lazy("Déclaré recevable"),
    "fonds.initiative.inadmissible": gettext_lazy("Déclaré irrecevable"),
    "fonds.initiative.withdraw": gettext_lazy("Retiré par son auteur"),
    "fonds.initiative.off_agenda": gettext_lazy("Retiré de l'ordre du jour"),
    "fonds.report.accept": gettext_lazy("Bilan accepté, dossier clôturé"),
    "fonds.report.ask_completion": gettext_lazy("Compléments du bilan demandés"),
    "fonds.report.refuse": gettext_lazy("Bilan refusé"),
    "fonds.report.photo_hidden": gettext_lazy("Photo du bilan masquée"),
}
# Supports are counted on the dossier, not listed one by one in its history.
HIDDEN_ACTIONS = {"fonds.initiative.support"}


def _decision(data, outcome):
    reference = data.get("reference", "")
    if outcome == "granted" and data.get("amount"):
        return _("Décision publiée : subvention de %(amount)s (%(reference)s)") % {
            "amount": euros(data["amount"]),
            "reference": reference,
        }
    if outcome == "granted":
        return _("Décision publiée : subvention accordée (%(reference)s)") % {
            "reference": reference
        }
    if outcome == "refused":
        return _("Décision publiée : initiative non retenue (%(reference)s)") % {
            "reference": reference
        }
    return _("Décision publiée : examen ajourné (%(reference)s)") % {"reference": reference}


def _report_filed(data, completed=False):
    text = (
        _("Bilan complété : %(expenses)s de dépenses, %(participants)s participants")
        if completed
        else _("Bilan déposé : %(expenses)s de dépenses, %(participants)s participants")
    )
    try:
        return text % {
            "expenses": euros(data["expenses"]),
            "participants": data["participants"],
        }
    except (KeyError, ArithmeticError, ValueError, TypeError):
        return _("Bilan complété") if completed else _("Bilan déposé")


def _repayment_asked(data):
    try:
        return _("Remboursement de %(amount)s demandé, avant le %(due)s") % {
            "amount": euros(data["amount"]),
            "due": long_date(datetime.date.fromisoformat(data["due_on"])),
        }
    except (KeyError, ArithmeticError, ValueError, TypeError):
        return _("Remboursement demandé")


def audit_label(entry):
    """How one audited step on a dossier reads."""
    data = entry.data or {}
    action = entry.action
    if action.startswith("fonds.initiative.decision_"):
        return _decision(data, action.removeprefix("fonds.initiative.decision_"))
    if action == "fonds.initiative.on_agenda":
        if data.get("session"):
            return _("Inscrit à l'ordre du jour : %(session)s") % {"session": data["session"]}
        return _("Inscrit à l'ordre du jour du conseil")
    if action == "fonds.report.submit":
        return _report_filed(data)
    if action == "fonds.report.complete":
        return _report_filed(data, completed=True)
    if action == "fonds.repayment.request":
        return _repayment_asked(data)
    if action == "fonds.repayment.cancel":
        return _("Demande de remboursement annulée")
    if action in PLAIN_LABELS:
        return str(PLAIN_LABELS[action])
    return _("Autre action sur le dossier")


def ledger_label(tx):
    """How one movement of the ledger on a grant of the dossier reads."""
    values = {"amount": euros(tx.amount), "reference": tx.reference}
    if tx.kind == Kind.COMMIT:
        return _("Engagement au grand livre : %(amount)s (%(reference)s)") % values
    if tx.kind == Kind.DISBURSE:
        values["date"] = long_date(tx.payment_date)
        return _("Paiement de %(amount)s le %(date)s (référence %(reference)s)") % values
    if tx.kind == Kind.RELEASE:
        return _("Libération de %(amount)s au profit du fonds") % values
    if tx.kind == Kind.REVERSAL:
        return _("Contre-passation de %(amount)s") % values
    if tx.kind == Kind.REPAYMENT:
        values["date"] = long_date(tx.payment_date)
        return _("Remboursement de %(amount)s reçu le %(date)s (référence %(reference)s)") % values
    if tx.kind == Kind.CARRY_OUT:
        return _("Report de %(amount)s engagés sur la période suivante") % values
    if tx.kind == Kind.CARRY_IN:
        return _("Report de %(amount)s engagés, venus de la période précédente") % values
    return _("Mouvement de %(amount)s") % values


@dataclass
class HistoryItem:
    at: datetime.datetime
    actor: object
    by_system: bool
    label: str
    reason: str
    money: bool = False


def dossier_history(initiative):
    """Every step of the dossier and every ledger movement on its grants, newest first."""
    items = [
        HistoryItem(
            at=entry.created_at,
            actor=entry.actor,
            by_system=audit_by_system(entry),
            label=audit_label(entry),
            reason=(entry.data or {}).get("reason", "") or (entry.data or {}).get("message", ""),
        )
        for entry in audit_entries_for(initiative).exclude(action__in=HIDDEN_ACTIONS)
    ]
    movements = LedgerTransaction.objects.select_related("actor").filter(
        grant__initiative=initiative
    )
    items += [
        HistoryItem(
            at=tx.created_at,
            actor=tx.actor,
            by_system=tx.actor_id is None,
            label=ledger_label(tx),
            reason=tx.memo if tx.kind != Kind.COMMIT else "",
            money=True,
        )
        for tx in movements
    ]
    items.sort(key=lambda item: item.at, reverse=True)
    return items


@dataclass
class GrantMoney:
    grant: Grant
    granted: Decimal
    paid: Decimal
    released: Decimal
    left: Decimal
    payments: list
    releases: list
    repaid: Decimal
    repayments: list
    carried_out: Decimal
    carried_in: Decimal
    requests: list
    # When the grant was committed in the ledger (its decision's publication).
    committed_at: datetime.datetime


def grant_money(initiative):
    """For each grant of the dossier: granted, paid, released, still committed (the
    committed account's balance), and its payments, oldest first."""
    grants = list(
        Grant.objects.filter(initiative=initiative)
        .select_related("account", "fund__quartier")
        .prefetch_related("repayment_requests")
        .order_by("created_at", "pk")
    )
    by_grant = {grant.pk: [] for grant in grants}
    for tx in LedgerTransaction.objects.filter(grant__in=grants).order_by("sequence"):
        by_grant[tx.grant_id].append(tx)
    reversed_ids = {tx.reverses_id for txs in by_grant.values() for tx in txs if tx.reverses_id}
    result = []
    for grant in grants:
        live = [tx for tx in by_grant[grant.pk] if tx.kind != Kind.REVERSAL]
        live = [tx for tx in live if tx.pk not in reversed_ids]

        def total(kind, txs=live):
            return sum((tx.amount for tx in txs if tx.kind == kind), Decimal("0.00"))

        payments = [tx for tx in live if tx.kind == Kind.DISBURSE]
        commit = next((tx for tx in by_grant[grant.pk] if tx.kind == Kind.COMMIT), None)
        result.append(
            GrantMoney(
                grant=grant,
                granted=total(Kind.COMMIT),
                paid=total(Kind.DISBURSE),
                released=total(Kind.RELEASE),
                left=grant.account.balance,
                payments=payments,
                releases=[tx for tx in live if tx.kind == Kind.RELEASE],
                repaid=total(Kind.REPAYMENT),
                repayments=[tx for tx in live if tx.kind == Kind.REPAYMENT],
                carried_out=total(Kind.CARRY_OUT),
                carried_in=total(Kind.CARRY_IN),
                requests=list(grant.repayment_requests.all()),
                committed_at=commit.created_at if commit else grant.created_at,
            )
        )
    return result


def money_totals(money):
    """The dossier's money over all its grants."""
    return {
        name: sum((getattr(item, name) for item in money), Decimal("0.00"))
        for name in ("granted", "paid", "released", "left", "repaid")
    }


def comparison(initiative, report, money):
    """The bilan against the dossier, line by line: what was planned, granted, paid and
    what the carrier reports spent, with what acceptance would release."""
    lines = list(initiative.budget_lines.all())
    planned = sum(
        (line.amount for line in lines if line.kind == BudgetLine.Kind.EXPENSE), Decimal("0.00")
    )
    cofunding = sum(
        (line.amount for line in lines if line.kind == BudgetLine.Kind.COFUNDING),
        Decimal("0.00"),
    )
    totals = money_totals(money)
    spent = report.actual_expenses if report else None
    rows = [
        (_("Dépenses prévues au budget"), planned),
        (_("Cofinancements prévus"), cofunding),
        (_("Montant demandé au fonds"), initiative.requested_amount),
        (_("Subvention accordée"), totals["granted"]),
        (_("Déjà versé au porteur"), totals["paid"]),
        (_("Remboursé par le porteur"), totals["repaid"]),
        (_("Déjà libéré au profit du fonds"), totals["released"]),
        (_("Dépenses réelles déclarées au bilan"), spent),
        (_("Reste engagé, libéré si le bilan est accepté"), totals["left"]),
    ]
    notes = []
    if spent is not None and spent < planned:
        notes.append(
            _("Le porteur déclare %(gap)s de dépenses de moins que son budget.")
            % {"gap": euros(planned - spent)}
        )
    if spent is not None and spent < totals["paid"] - cofunding:
        notes.append(
            _(
                "Les dépenses déclarées, moins les cofinancements prévus, restent sous ce qui a "
                "été versé : vérifiez les justificatifs."
            )
        )
    return {
        "rows": rows,
        "lines": [line for line in lines if line.kind == BudgetLine.Kind.EXPENSE],
        "notes": notes,
        "release": totals["left"],
    }


def public_photos(report):
    """The bilan's photos the public sees: the bilan accepted, the carrier having
    confirmed that the people shown agreed, and no instructor having hidden them."""
    if report is None or report.status != report.Status.ACCEPTED or not report.photos_consent:
        return []
    return [
        document
        for document in report.documents.all()
        if document.kind == document.Kind.PHOTO and not document.hidden_reason
    ]


def is_public_photo(document):
    report = document.report
    return document in public_photos(report) if report else False


def public_trail(initiative):
    """What a public initiative page shows once decided: each grant's decision
    (reference, date, amount), its payments and releases, and the accepted bilan's public
    summary and photos. None before a grant."""
    money = grant_money(initiative)
    if not money:
        return None
    report = getattr(initiative, "report", None)
    accepted = report is not None and report.status == report.Status.ACCEPTED
    return {
        "grants": [{"money": item, "decided_at": item.committed_at} for item in money],
        "totals": money_totals(money),
        "report": report if accepted else None,
        "photos": public_photos(report),
    }
