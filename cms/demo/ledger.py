"""Money through the ledger service: the envelopes credited in January, and what
followed each grant the councils committed — payments by the treasury, money released
when a carrier needed less. Idempotency keys are fixed, so nothing is posted twice."""

from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.utils import timezone

from fonds.ledger import ledger_credit, ledger_disburse, ledger_release
from fonds.models import Grant

from .catalogue import DOSSIERS
from .councils import decided_actions
from .reports import bilan_accept, bilan_submit
from .sittings import SITTINGS

ENVELOPE = Decimal("15000.00")
CREDIT_DAY = 5
CENT = Decimal("0.01")
LASTS = {dossier.key: dossier.lasts for dossier in DOSSIERS}


def euros(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def envelope_events(world):
    moment = world.calendar.moment(CREDIT_DAY, 9, 30)
    return [(moment, partial(envelope_credit, world, fund)) for fund in world.funds.values()]


def envelope_credit(world, fund):
    """The envelope voted with the commune's budget, credited by the administrator."""
    ledger_credit(
        actor=world.administrator,
        fund=fund,
        amount=ENVELOPE,
        idempotency_key=f"demo-credit-{fund.slug}",
        memo=f"Enveloppe {world.calendar.year} votée au budget primitif",
    )


def grant_events(world):
    """For every grant of the sessions: the first payment two weeks after publication,
    a release if the carrier found money elsewhere, and the bilan twelve days after the
    action — with the balance paid on what it justifies, then its acceptance."""
    at = world.calendar.moment
    starts = decided_actions()
    events = []
    for sitting in SITTINGS:
        for position, item in enumerate(sitting.items):
            if not item.paid:  # refused, adjourned, or nothing paid yet
                continue
            key, day = item.dossier, sitting.day
            events.append((at(day + 14 + position, 10), partial(grant_pay, world, key, item.paid)))
            if item.released:
                amount, memo = item.released
                events.append((at(day + 40, 10), partial(grant_release, world, key, amount, memo)))
            if item.bilan:
                ends = starts[key] + LASTS[key] - 1
                events.append((at(ends + 12, 20), partial(bilan_submit, world, key, item.spent)))
                events.append((at(ends + 16, 10), partial(grant_pay, world, key, item.spent)))
                if item.bilan == "accepted":
                    events.append((at(ends + 20, 15), partial(bilan_accept, world, key)))
    return events


def _grant(world, key):
    return Grant.objects.select_related("fund", "initiative", "account").get(
        initiative=world.initiatives[key]
    )


def grant_pay(world, key, share):
    """Pay the carrier up to ``share`` of the grant (what was paid before counts)."""
    grant = _grant(world, key)
    granted = grant.transactions.get(kind="commit").amount
    paid = sum((tx.amount for tx in grant.transactions.filter(kind="disburse")), start=Decimal(0))
    amount = min(euros(granted * Decimal(str(share))) - paid, grant.account.balance)
    if amount <= 0:
        return None
    world.payments += 1
    reference = f"Mandat {world.calendar.year}-{world.payments:04d}"
    return ledger_disburse(
        actor=world.instructor,
        grant=grant,
        amount=amount,
        payment_reference=reference,
        payment_date=timezone.localdate(),
        idempotency_key=f"demo-disburse-{grant.decision_reference}-{world.payments}",
    )


def grant_release(world, key, amount, memo):
    grant = _grant(world, key)
    return ledger_release(
        actor=world.instructor,
        grant=grant,
        amount=euros(amount),
        memo=memo,
        idempotency_key=f"demo-release-{grant.decision_reference}",
    )
