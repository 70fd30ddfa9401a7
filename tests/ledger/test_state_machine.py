"""Random sequences of postings and closings against a model of the ledger kept in
Python.

Each Hypothesis example runs inside a savepoint of the test's transaction and is rolled
back when it ends; the deferred balance triggers are fired after every step with
``SET CONSTRAINTS ALL IMMEDIATE``, as a COMMIT would. The funds follow one another in
one quartier (last year's, two of this year's, next year's), so that a closing can carry
its grants and envelope over, and the carried grants be paid, released and repaid."""

import datetime
from collections import Counter
from decimal import Decimal, InvalidOperation

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from accounts.errors import DomainError
from fonds.closing import fund_close
from fonds.ledger import (
    committed_to,
    ledger_commit,
    ledger_credit,
    ledger_disburse,
    ledger_release,
    ledger_repay,
    ledger_reverse,
)
from fonds.models import Fund, Grant, LedgerAccount, LedgerTransaction
from fonds.verify import verify_ledger
from tests.fonds.conftest import _open_fund
from tests.system import SYSTEM

from .conftest import make_funds, make_initiative

MAX_AMOUNT = Decimal("1000000.00")
ZERO = Decimal("0")
CENT = Decimal("0.01")
CARRY = ("carry_over",)
CLOSING_KINDS = ("carry_out", "carry_in", "return")
FUNDS = 4  # last year's, two of this year's, next year's
# Refusals the model names that are not codes of their own: the code and words of the
# message.
REFUSALS = {
    "closed": ("closed", "close"),
    "repaid_first": ("invalid", "contre-passez d'abord le remboursement"),
    "closing_entry": ("invalid", "clôture de période ne se contre-passent pas"),
}

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2500.00"), places=2)
bad_amounts = st.sampled_from(
    [
        Decimal("0"),
        Decimal("0.00"),
        Decimal("-1.00"),
        Decimal("-0.01"),
        Decimal("12.345"),
        Decimal("0.001"),
        Decimal("1000000.01"),
        "dix euros",
        "",
        "1 234,56",  # valid: French grouping and decimal comma
        "7,5",  # valid
    ]
)
amounts = st.one_of(money, money, money, bad_amounts)
small_money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("400.00"), places=2)
commit_amounts = st.one_of(small_money, small_money, money, bad_amounts)
indexes = st.integers(min_value=0, max_value=10_000)
maybe_reuse = st.one_of(st.none(), st.none(), st.none(), indexes)


def model_amount(value):
    """The amount the ledger accepts for ``value``, or None if it must refuse it
    (independent of fonds.money.parse_amount)."""
    if isinstance(value, str):
        value = value.replace(" ", "").replace(",", ".")
        try:
            value = Decimal(value)
        except InvalidOperation:
            return None
    if not ZERO < value <= MAX_AMOUNT or value != value.quantize(Decimal("0.01")):
        return None
    return value.quantize(Decimal("0.01"))


class LedgerMachine(RuleBasedStateMachine):
    """Set ``world`` (funds and initiatives made by the test) before running."""

    world = None
    outcomes = Counter()

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        self.funds = self.world["funds"]
        self.initiatives = self.world["initiatives"]
        # Funds a closing may name but that the postings leave alone (another quartier's).
        self.elsewhere = self.world["elsewhere"]
        self.periods = {
            fund.pk: (fund.quartier_id, fund.period_start, fund.period_end)
            for fund in self.funds + self.elsewhere
        }
        # The model: balances by account label, transactions, keys and references.
        self.balance = {}
        self.grant_fund = {}  # grant pk -> fund pk
        self.grant_reference = {}
        self.grant_initiative = {}  # grant pk -> initiative pk
        self.grant_origin = {}  # carried grant pk -> the grant it continues
        self.txs = {}  # tx pk -> record
        self.keys = {}  # key -> tx pk, for applied postings and closing entries
        self.entry_keys = []  # the keys of closing entries, for postings to reuse
        self.references = set()
        self.attempts = []  # every op tried, for retries and reused keys
        self.closings = {}  # closed fund pk -> FundClosing pk
        self.closing_keys = {}  # key -> (closed fund pk, next fund pk, envelope)
        self.closing_attempts = []
        self.counter = 0

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    # Helpers --------------------------------------------------------------------------

    def key(self, reuse):
        pool = [op["key"] for op in self.attempts] + self.entry_keys
        if reuse is not None and pool:
            return pool[reuse % len(pool)]
        self.counter += 1
        return f"k{self.counter}"

    def get(self, label):
        return self.balance.get(label, ZERO)

    def predict(self, op):
        """("ok", None), ("same", tx pk) or ("refused", code or None), in the order the
        ledger checks its rules."""
        amount = op["amount"]
        kind = op["kind"]
        if kind == "reverse":
            original = self.txs[op["original"]]
            if original["kind"] == "reversal":
                return "refused", None
            if original["reversed"]:
                return self.key_check(op) or ("refused", None)
            if original["kind"] in CLOSING_KINDS:
                return "refused", "closing_entry"
            found = self.key_check(op) or self.open_check(op["fund"])
            if found:
                return found
            if original["kind"] == "disburse" and self.paid_on(original["grant"]) < amount:
                return "refused", "repaid_first"  # its grant's repayments need it
            return self.funds_check(original["target"], amount)
        if amount is None:
            return "refused", None
        if kind == "commit":
            initiative = op["initiative"]
            if amount > initiative.requested_amount or not op["reference"].strip():
                return "refused", None
            found = self.key_check(op)
            if found:
                return found
            if op["reference"].strip() in self.references:
                return "refused", None
            if self.committed_to(initiative.pk) + amount > initiative.requested_amount:
                return "refused", "over_request"
            return self.open_check(op["fund"]) or self.funds_check(
                ("available", op["fund"]), amount
            )
        if kind in ("disburse", "repay"):
            if not op["reference"].strip() or op["date"] > timezone.localdate():
                return "refused", None
        found = self.key_check(op) or self.open_check(op["fund"])
        if found:
            return found
        if kind == "credit":
            return "ok", None
        if kind == "repay":
            if amount > self.paid_on(op["grant"]):
                return "refused", "over_paid"
            return self.funds_check(("paid", op["fund"]), amount)
        return self.funds_check(("grant", op["grant"]), amount)

    def committed_to(self, initiative):
        """What the initiative's grants committed, less what was reversed: never more
        than its request (PostgreSQL holds it too)."""
        return sum(
            (
                tx["amount"]
                for tx in self.txs.values()
                if tx["kind"] == "commit" and tx["initiative"] == initiative and not tx["reversed"]
            ),
            ZERO,
        )

    def paid_on(self, grant):
        """What the grant paid and was not paid back, each movement net of its reversal:
        never below zero (PostgreSQL holds it too)."""
        signs = {"disburse": 1, "repayment": -1}
        return sum(
            (
                signs[tx["kind"]] * tx["amount"]
                for tx in self.txs.values()
                if tx["grant"] == grant and tx["kind"] in signs and not tx["reversed"]
            ),
            ZERO,
        )

    def key_check(self, op):
        pk = self.keys.get(op["key"])
        if pk is None:
            return None
        return ("same", pk) if self.same_operation(self.txs[pk], op) else ("refused", "key_reused")

    def same_operation(self, tx, op):
        """What identifies a posting for its idempotency key."""
        if (tx["fund"], tx["kind"], tx["amount"]) != (op["fund"], op["tx_kind"], op["amount"]):
            return False
        if tx["reference"] != op["reference"].strip():
            return False
        if op["kind"] == "commit":
            return tx["initiative"] == op["initiative"].pk
        return (tx["grant"], tx["reverses"]) == (op.get("grant"), op.get("original"))

    def open_check(self, fund):
        """A closed fund's chain takes no new entry."""
        return ("refused", "closed") if fund in self.closings else None

    def funds_check(self, source, amount):
        if source[0] != "budget" and self.get(source) < amount:
            return "refused", "insufficient"
        return "ok", None

    def perform(self, op):
        kind = op["kind"]
        if kind == "credit":
            return ledger_credit(
                actor=SYSTEM,
                fund=self.fund_obj(op["fund"]),
                amount=op["raw"],
                idempotency_key=op["key"],
            )
        if kind == "commit":
            return ledger_commit(
                actor=SYSTEM,
                initiative=op["initiative"],
                amount=op["raw"],
                decision_reference=op["reference"],
                idempotency_key=op["key"],
            )
        if kind in ("disburse", "repay"):
            # Money out to the carrier, or back from them: the same shape of posting.
            service = ledger_disburse if kind == "disburse" else ledger_repay
            return service(
                actor=SYSTEM,
                grant=self.grant_obj(op["grant"]),
                amount=op["raw"],
                payment_reference=op["reference"],
                payment_date=op["date"],
                idempotency_key=op["key"],
            )
        if kind == "release":
            return ledger_release(
                actor=SYSTEM,
                grant=self.grant_obj(op["grant"]),
                amount=op["raw"],
                idempotency_key=op["key"],
            )
        return ledger_reverse(
            actor=SYSTEM,
            original=LedgerTransaction.objects.get(pk=op["original"]),
            idempotency_key=op["key"],
        )

    def fund_obj(self, pk):
        return next(fund for fund in self.funds if fund.pk == pk)

    def grant_obj(self, pk):
        return Grant.objects.select_related("fund", "initiative", "account").get(pk=pk)

    def attempt(self, op):
        self.attempts.append(op)
        outcome, detail = self.predict(op)
        try:
            tx = self.perform(op)
        except DomainError as error:
            # Every refusal is a domain error with a message for people; an
            # IntegrityError or anything else fails the test by propagating.
            assert str(error.message).strip(), op
            assert outcome == "refused", (op, outcome, detail, error.message)
            if detail is not None:
                code, words = REFUSALS.get(detail, (detail, None))
                assert error.code == code, (op, error.code, error.message)
                assert words is None or words in str(error.message), (op, error.message)
            self.outcomes[f"{self.name(op)}: refused ({error.code})"] += 1
            return None
        assert outcome != "refused", (op, detail, "was applied")
        self.outcomes[f"{self.name(op)}: {outcome}"] += 1
        if outcome == "same":
            assert tx.pk == detail, (op, "retry returned another transaction")
            return tx
        self.apply(op, tx)
        return tx

    def name(self, op):
        """The operation, for the outcomes: a reversal names what it reverses; a
        posting on a carried grant says so."""
        if op["kind"] == "reverse":
            return f"reverse {self.txs[op['original']]['kind']}"
        if op.get("grant") in self.grant_origin:
            return f"{op['kind']} (carried grant)"
        return op["kind"]

    def apply(self, op, tx):
        assert tx.pk not in self.txs
        kind, amount, fund = op["kind"], op["amount"], op["fund"]
        if kind == "credit":
            source, target = ("budget",), ("available", fund)
        elif kind == "commit":
            self.grant_fund[tx.grant_id] = fund
            self.grant_reference[tx.grant_id] = op["reference"].strip()
            self.grant_initiative[tx.grant_id] = op["initiative"].pk
            self.references.add(op["reference"].strip())
            source, target = ("available", fund), ("grant", tx.grant_id)
        elif kind == "disburse":
            source, target = ("grant", op["grant"]), ("paid", fund)
        elif kind == "release":
            source, target = ("grant", op["grant"]), ("available", fund)
        elif kind == "repay":
            source, target = ("paid", fund), ("available", fund)
        else:
            original = self.txs[op["original"]]
            original["reversed"] = True
            source, target = original["target"], original["source"]
        assert (tx.fund_id, tx.kind, tx.amount) == (fund, op["tx_kind"], amount)
        self.record(
            tx, source, target, initiative=op["initiative"].pk if kind == "commit" else None
        )

    def record(self, tx, source, target, initiative=None):
        """Move the transaction's amount in the model and keep its record."""
        self.balance[source] = self.get(source) - tx.amount
        self.balance[target] = self.get(target) + tx.amount
        self.keys[tx.idempotency_key] = tx.pk
        self.txs[tx.pk] = {
            "fund": tx.fund_id,
            "kind": tx.kind,
            "amount": tx.amount,
            "source": source,
            "target": target,
            "reversed": False,
            "reference": tx.reference,
            "grant": tx.grant_id,
            "reverses": tx.reverses_id,
            "initiative": initiative,
        }

    # Closings -------------------------------------------------------------------------

    def closing_key(self, reuse=None):
        if reuse is not None and self.closing_attempts:
            return self.closing_attempts[reuse % len(self.closing_attempts)]["key"]
        self.counter += 1
        return f"fin-{self.counter}"

    def next_funds(self, fund):
        """The funds a closing of ``fund`` may carry over into, in period order."""
        quartier, _start, end = self.periods[fund]
        return [
            other.pk
            for other in self.funds
            if self.periods[other.pk][0] == quartier
            and self.periods[other.pk][1] > end
            and other.pk not in self.closings
        ]

    def carried(self, fund):
        """The fund's grants still committed, with their balances, in the order they
        were made."""
        grants = sorted(grant for grant, owner in self.grant_fund.items() if owner == fund)
        return [
            (grant, self.get(("grant", grant)))
            for grant in grants
            if self.get(("grant", grant)) > 0
        ]

    def predict_closing(self, op):
        """Like predict, for a closing: ("ok", None), ("same", closing pk) or
        ("refused", why), in the order fund_close checks its rules; ``why`` is
        "key_reused", "closed" or the set of fields the refusal names."""
        fund, next_fund = op["fund"], op["next_fund"]
        if op["key"] in self.closing_keys:
            if self.closing_keys[op["key"]] != (fund, next_fund, op["envelope"]):
                return "refused", "key_reused"
            return "same", self.closings[fund]
        if fund in self.closings:
            return "refused", "closed"
        fields = set()
        if op["envelope"] not in ("return", "carry"):
            fields.add("envelope")
        if not op["reason"].strip():
            fields.add("reason")
        if next_fund is not None and next_fund not in self.next_funds(fund):
            fields.add("next_fund")  # the same fund, another quartier's, earlier, closed
        if fields:
            return "refused", fields
        must_carry = self.carried(fund) or (
            op["envelope"] == "carry" and self.get(("available", fund)) > 0
        )
        if next_fund is None and must_carry:
            return "refused", {"next_fund"}
        return "ok", None

    def attempt_closing(self, op):
        self.closing_attempts.append(op)
        outcome, detail = self.predict_closing(op)
        last = max(self.txs, default=0)
        try:
            closing = fund_close(
                actor=SYSTEM,
                fund=Fund.objects.get(pk=op["fund"]),
                next_fund=Fund.objects.get(pk=op["next_fund"]) if op["next_fund"] else None,
                envelope=op["envelope"],
                reason=op["reason"],
                idempotency_key=op["key"],
            )
        except DomainError as error:
            assert str(error.message).strip(), op
            assert outcome == "refused", (op, outcome, detail, error.message, error.errors)
            if detail == "closed":
                assert error.code == "closed", (op, error.code, error.message)
                assert "déjà close" in str(error.message), (op, error.message)
            elif detail == "key_reused":
                assert "clé d'idempotence" in str(error.message), (op, error.message)
            else:
                assert set(error.errors) == detail, (op, error.errors)
            why = detail if isinstance(detail, str) else "+".join(sorted(detail))
            self.outcomes[f"close: refused ({why})"] += 1
            return None
        assert outcome != "refused", (op, detail, "was applied")
        self.outcomes[f"close ({op['envelope']}): {outcome}"] += 1
        if outcome == "same":
            assert closing.pk == detail, (op, "retry returned another closing")
            return closing
        self.apply_closing(op, closing, last)
        return closing

    def apply_closing(self, op, closing, last):
        """Check the entries the closing wrote (every transaction after ``last``)
        against what the model expects, then move them in the model."""
        fund, next_fund, envelope = op["fund"], op["next_fund"], op["envelope"]
        carried, unspent = self.carried(fund), self.get(("available", fund))
        assert (
            closing.fund_id,
            closing.next_fund_id,
            closing.envelope,
            closing.carried_grants,
            closing.unspent,
        ) == (fund, next_fund, envelope, sum((b for _g, b in carried), ZERO), unspent)
        # (fund, kind, amount, grant, source, target) of each expected entry, in order.
        moves = []
        for grant, balance in carried:
            follower = Grant.objects.get(carried_from_id=grant)
            assert (follower.fund_id, follower.initiative_id, follower.decision_reference) == (
                next_fund,
                self.grant_initiative[grant],
                self.grant_reference[grant],
            )
            moves.append((fund, "carry_out", balance, grant, ("grant", grant), CARRY))
            moves.append(
                (next_fund, "carry_in", balance, follower.pk, CARRY, ("grant", follower.pk))
            )
            self.grant_fund[follower.pk] = next_fund
            self.grant_reference[follower.pk] = self.grant_reference[grant]
            self.grant_initiative[follower.pk] = self.grant_initiative[grant]
            self.grant_origin[follower.pk] = grant
            if grant in self.grant_origin:
                self.outcomes["close: a grant carried a second time"] += 1
        if unspent > 0 and envelope == "carry":
            moves.append((fund, "carry_out", unspent, None, ("available", fund), CARRY))
            moves.append((next_fund, "carry_in", unspent, None, CARRY, ("available", next_fund)))
        elif unspent > 0:
            moves.append((fund, "return", unspent, None, ("available", fund), ("budget",)))
        entries = list(LedgerTransaction.objects.filter(pk__gt=last).order_by("pk"))
        assert [(tx.fund_id, tx.kind, tx.amount, tx.grant_id) for tx in entries] == [
            move[:4] for move in moves
        ]
        for before, tx, move in zip([None, *entries], entries, moves, strict=False):
            # A CARRY_IN names the CARRY_OUT just before it; nothing else names a pair.
            assert tx.pair_id == (before.pk if tx.kind == "carry_in" else None), tx
            self.record(tx, *move[4:])
            self.entry_keys.append(tx.idempotency_key)
        self.closings[fund] = closing.pk
        self.closing_keys[op["key"]] = (fund, op["next_fund"], op["envelope"])

    # Rules ----------------------------------------------------------------------------

    @initialize(
        envelopes=st.lists(
            st.decimals(min_value=Decimal("300.00"), max_value=Decimal("5000.00"), places=2),
            min_size=FUNDS,
            max_size=FUNDS,
        ),
        grants=st.lists(small_money, min_size=FUNDS, max_size=FUNDS),
        payments=st.lists(st.sampled_from([None, "half", "all"]), min_size=FUNDS, max_size=FUNDS),
        closing=st.sampled_from([None, "return", "carry"]),
        which=indexes,
    )
    def credit_and_commit_in_every_fund(self, envelopes, grants, payments, closing, which):
        """An envelope and a grant in every fund; the grant paid in part, in full or not
        at all, so that money can come back from the start. Then, most often, last
        year's fund closes into one of the later ones: the steps work on a closed fund
        and on carried grants from the start."""
        for fund, envelope, granted, paid in zip(
            self.funds, envelopes, grants, payments, strict=True
        ):
            self.attempt(
                {
                    "kind": "credit",
                    "tx_kind": "credit",
                    "fund": fund.pk,
                    "raw": envelope,
                    "amount": envelope,
                    "reference": "",
                    "key": self.key(None),
                }
            )
            index = next(i for i, x in enumerate(self.initiatives) if x.fund_id == fund.pk)
            tx = self.attempt(self.commit_op(index, granted, None, None))
            if tx is not None and paid is not None:
                amount = granted if paid == "all" else max(CENT, (granted / 2).quantize(CENT))
                op = self.grant_op(
                    "disburse",
                    0,
                    amount,
                    None,
                    among=[tx.grant_id],
                    reference=f"VIR-{tx.grant_id}",
                    date=timezone.localdate(),
                )
                self.attempt(op)
        if closing is not None:
            later = self.next_funds(self.funds[0].pk)
            self.attempt_closing(
                {
                    "fund": self.funds[0].pk,
                    "next_fund": later[which % len(later)],
                    "envelope": closing,
                    "reason": "Fin de l'exercice",
                    "key": self.closing_key(),
                }
            )

    @rule(fund=indexes, raw=amounts, reuse=maybe_reuse)
    def credit(self, fund, raw, reuse):
        fund = self.funds[fund % len(self.funds)]
        self.attempt(
            {
                "kind": "credit",
                "tx_kind": "credit",
                "fund": fund.pk,
                "raw": raw,
                "amount": model_amount(raw),
                "reference": "",
                "key": self.key(reuse),
            }
        )

    def commit_op(self, index, raw, reference, reuse):
        initiative = self.initiatives[index % len(self.initiatives)]
        if reference is None:
            self.counter += 1
            reference = f"DEC-{self.counter}"
        return {
            "kind": "commit",
            "tx_kind": "commit",
            "fund": initiative.fund_id,
            "initiative": initiative,
            "raw": raw,
            "amount": model_amount(raw),
            "reference": reference,
            "key": self.key(reuse),
        }

    @rule(
        index=indexes,
        raw=commit_amounts,
        reuse=maybe_reuse,
        mode=st.sampled_from(["new"] * 5 + ["all", "all_and_a_cent", "used_decision", "blank"]),
        which=indexes,
    )
    def commit(self, index, raw, reuse, mode, which):
        """A new decision; or, at the boundaries, exactly what the fund has left or one
        cent more; or a decision that already granted money; or no decision at all."""
        reference = None
        if mode in ("all", "all_and_a_cent"):
            fund = self.initiatives[index % len(self.initiatives)].fund_id
            raw = self.get(("available", fund)) + (Decimal("0.01") if mode != "all" else 0)
            if raw <= 0:
                return
        elif mode == "used_decision" and self.references:
            reference = sorted(self.references)[which % len(self.references)]
        elif mode == "blank":
            reference = "  "
        self.attempt(self.commit_op(index, raw, reference, reuse))

    def grants_among(self, grants, paying=False):
        """The grants a rule picks from: the carried ones if ``grants`` is "carried",
        those that paid something not paid back if ``paying``; all when none fit."""
        pool = sorted(self.grant_fund)
        if grants == "carried":
            pool = [grant for grant in pool if grant in self.grant_origin] or pool
        if paying:
            pool = [grant for grant in pool if self.paid_on(grant) > 0] or pool
        return pool

    def grant_op(self, kind, index, raw, reuse, among=None, **extra):
        grants = sorted(among or self.grant_fund)
        grant = grants[index % len(grants)]
        return {
            "kind": kind,
            "tx_kind": kind,
            "fund": self.grant_fund[grant],
            "grant": grant,
            "raw": raw,
            "amount": model_amount(raw),
            "key": self.key(reuse),
            **extra,
        }

    @precondition(lambda self: self.grant_fund)
    @rule(
        index=indexes,
        raw=amounts,
        reuse=maybe_reuse,
        payment=st.sampled_from(["ok", "ok", "ok", "ok", "future", "no_reference"]),
        everything=st.booleans(),
        grants=st.sampled_from(["any", "any", "carried"]),
    )
    def disburse(self, index, raw, reuse, payment, everything, grants):
        today = timezone.localdate()
        op = self.grant_op(
            "disburse",
            index,
            raw,
            reuse,
            among=self.grants_among(grants),
            reference="  " if payment == "no_reference" else f"VIR-{index}",
            date=today + datetime.timedelta(days=1) if payment == "future" else today,
        )
        if everything:  # what is left on the grant, exactly
            left = self.get(("grant", op["grant"]))
            if left > 0:
                op["raw"] = op["amount"] = left
        self.attempt(op)

    @precondition(lambda self: self.grant_fund)
    @rule(
        index=indexes,
        raw=amounts,
        reuse=maybe_reuse,
        everything=st.booleans(),
        grants=st.sampled_from(["any", "any", "carried"]),
    )
    def release(self, index, raw, reuse, everything, grants):
        op = self.grant_op("release", index, raw, reuse, among=self.grants_among(grants))
        op["reference"] = self.grant_reference[op["grant"]]
        if everything:
            left = self.get(("grant", op["grant"]))
            if left > 0:
                op["raw"] = op["amount"] = left
        self.attempt(op)

    @precondition(lambda self: self.grant_fund)
    @rule(
        index=indexes,
        raw=amounts,
        reuse=maybe_reuse,
        payment=st.sampled_from(["ok", "ok", "ok", "ok", "future", "no_reference"]),
        bound=st.sampled_from(["drawn", "part", "paid", "paid", "paid_and_a_cent"]),
        grants=st.sampled_from(["any", "any", "carried"]),
    )
    def repay(self, index, raw, reuse, payment, bound, grants):
        """Money a carrier pays back, on a grant that paid something and was not paid
        back (any grant if none did): a drawn amount; or half of what it paid, exactly
        that, or one cent more."""
        today = timezone.localdate()
        op = self.grant_op(
            "repay",
            index,
            raw,
            reuse,
            among=self.grants_among(grants, paying=True),
            tx_kind="repayment",
            reference="  " if payment == "no_reference" else f"TITRE-{index}",
            date=today + datetime.timedelta(days=1) if payment == "future" else today,
        )
        paid = self.paid_on(op["grant"])
        bounds = {"part": (paid / 2).quantize(CENT), "paid": paid, "paid_and_a_cent": paid + CENT}
        if bounds.get(bound, ZERO) > 0:
            op["raw"] = op["amount"] = bounds[bound]
        self.attempt(op)

    @precondition(lambda self: self.txs)
    @rule(
        index=indexes,
        reuse=maybe_reuse,
        kind=st.sampled_from(["any", "any", "repayment", "disburse", "closing"]),
    )
    def reverse(self, index, reuse, kind):
        """Any transaction; or, when there is one, a repayment, a payment (refused while
        its grant's repayments need it) or an entry of a closing (never reversed)."""
        kinds = {"repayment": ("repayment",), "disburse": ("disburse",), "closing": CLOSING_KINDS}
        pks = sorted(self.txs)
        pks = [pk for pk in pks if self.txs[pk]["kind"] in kinds.get(kind, ())] or pks
        original = self.txs[pks[index % len(pks)]]
        self.attempt(
            {
                "kind": "reverse",
                "tx_kind": "reversal",
                "fund": original["fund"],
                "original": pks[index % len(pks)],
                "grant": original["grant"],
                "raw": original["amount"],
                "amount": original["amount"],
                "reference": original["reference"],
                "key": self.key(reuse),
            }
        )

    @precondition(lambda self: self.keys)
    @rule(index=indexes, which=indexes)
    def reuse_a_key_for_a_near_twin(self, index, which):
        """An applied posting's key, for the same kind and amount in the same fund but
        another decision, payment reference, grant or initiative: a different
        operation, refused with "key_reused"."""
        applied = [op for op in self.attempts if self.keys.get(op["key"]) is not None]
        if not applied:
            return
        op = dict(applied[index % len(applied)])
        if self.txs[self.keys[op["key"]]]["kind"] != op["tx_kind"]:
            return  # this attempt reused a key and was refused; the key is another's
        if op["kind"] == "commit":
            twins = [x for x in self.initiatives if x.fund_id == op["fund"]]
            original = op["initiative"]
            op["initiative"] = twins[which % len(twins)]
            if op["initiative"].pk == original.pk:
                op["reference"] = f"{op['reference']}-bis"
        elif op["kind"] in ("disburse", "repay"):
            op["reference"] = f"{op['reference']}-bis"
        elif op["kind"] == "release":
            others = [g for g, f in self.grant_fund.items() if f == op["fund"] and g != op["grant"]]
            if not others:
                return
            op["grant"] = others[which % len(others)]
            op["reference"] = self.grant_reference[op["grant"]]
        else:
            return
        self.attempt(op)

    @precondition(lambda self: self.attempts)
    @rule(index=indexes)
    def retry(self, index):
        """The same request again, with the same key: a posting that was applied
        returns the same transaction; one that was refused is judged afresh."""
        self.attempt(dict(self.attempts[index % len(self.attempts)]))

    @precondition(lambda self: self.closings)
    @rule(
        index=indexes,
        kind=st.sampled_from(["credit", "commit", "disburse", "release", "repay", "reverse"]),
        raw=small_money,
    )
    def post_in_a_closed_fund(self, index, kind, raw):
        """A posting in a closed fund, one its rules would otherwise let through where
        they can (a new key, a new decision, a valid payment): refused, with a message
        saying the period is closed, and nothing written."""
        fund = sorted(self.closings)[index % len(self.closings)]
        if kind == "credit":
            op = {
                "kind": "credit",
                "tx_kind": "credit",
                "fund": fund,
                "raw": raw,
                "amount": raw,
                "reference": "",
                "key": self.key(None),
            }
        elif kind == "commit":
            initiatives = [i for i, x in enumerate(self.initiatives) if x.fund_id == fund]
            op = self.commit_op(initiatives[index % len(initiatives)], raw, None, None)
        elif kind == "reverse":
            pks = [
                pk
                for pk, tx in sorted(self.txs.items())
                if tx["fund"] == fund
                and tx["kind"] not in (*CLOSING_KINDS, "reversal")
                and not tx["reversed"]
            ]
            if not pks:
                return
            original = self.txs[pks[index % len(pks)]]
            op = {
                "kind": "reverse",
                "tx_kind": "reversal",
                "fund": fund,
                "original": pks[index % len(pks)],
                "grant": original["grant"],
                "raw": original["amount"],
                "amount": original["amount"],
                "reference": original["reference"],
                "key": self.key(None),
            }
        else:
            grants = [grant for grant, owner in self.grant_fund.items() if owner == fund]
            if not grants:
                return
            op = self.grant_op(
                kind,
                index,
                raw,
                None,
                among=grants,
                tx_kind="repayment" if kind == "repay" else kind,
                reference=f"VIR-{index}",
                date=timezone.localdate(),
            )
            if kind == "release":
                op["reference"] = self.grant_reference[op["grant"]]
        # Open, the fund would take it (a commit may still exceed its request first).
        assert op["kind"] == "commit" or self.predict(op) == ("refused", "closed"), op
        self.attempt(op)

    @rule(
        index=indexes,
        into=st.sampled_from(["following"] * 4 + ["any", "none"]),
        which=indexes,
        envelope=st.sampled_from(["return", "carry"] * 3 + ["lost"]),
        reason=st.sampled_from(["Fin de l'exercice"] * 5 + ["  "]),
        reuse=maybe_reuse,
    )
    def close(self, index, into, which, envelope, reason, reuse):
        """The end of an open fund's period: into a fund of a later period of the
        quartier; or into any fund (itself, an earlier or the same period, another
        quartier's, a closed one); or into none, which only a fund with nothing to carry
        may do. The envelope returned, carried, or a choice that does not exist; a blank
        reason; a key a closing used before."""
        funds = [fund.pk for fund in self.funds if fund.pk not in self.closings]
        if not funds:
            return
        fund = funds[index % len(funds)]
        if into == "following":
            candidates = self.next_funds(fund)
        elif into == "any":
            candidates = [other.pk for other in self.funds + self.elsewhere]
        else:
            candidates = []
        self.attempt_closing(
            {
                "fund": fund,
                "next_fund": candidates[which % len(candidates)] if candidates else None,
                "envelope": envelope,
                "reason": reason,
                "key": self.closing_key(reuse),
            }
        )

    @precondition(lambda self: self.closings)
    @rule(index=indexes, fresh=st.booleans())
    def close_again(self, index, fresh):
        """A closing that was written, again: with its key, the same closing; with a
        new key, refused ("déjà close")."""
        written = [op for op in self.closing_attempts if op["key"] in self.closing_keys]
        op = dict(written[index % len(written)])
        if fresh:
            op["key"] = self.closing_key()
        self.attempt_closing(op)

    # Invariants -----------------------------------------------------------------------

    @invariant()
    def deferred_checks_pass(self):
        # What COMMIT would check: every transaction's legs balance, the carry-over
        # account is empty.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    @invariant()
    def balances_match_the_model(self):
        stored = {}
        for kind, fund, grant, balance in LedgerAccount.objects.values_list(
            "kind", "fund_id", "grant_id", "balance"
        ):
            label = {
                "budget": ("budget",),
                "fund_available": ("available", fund),
                "paid_out": ("paid", fund),
                "grant_committed": ("grant", grant),
                "carry_over": CARRY,
            }[kind]
            stored[label] = balance
        for label in set(stored) | set(self.balance):
            assert stored.get(label, ZERO) == self.get(label), label
        for label, balance in stored.items():
            if label[0] != "budget":
                assert balance >= 0, label
        assert self.get(CARRY) == ZERO
        assert LedgerTransaction.objects.count() == len(self.txs)
        assert Grant.objects.count() == len(self.grant_fund)

    @invariant()
    def commitments_stay_within_each_request(self):
        for initiative in self.initiatives:
            committed = committed_to(initiative)
            assert committed == self.committed_to(initiative.pk)
            assert committed <= initiative.requested_amount

    @invariant()
    def repayments_stay_within_payments(self):
        # What PostgreSQL's rule reads, for every grant in one query; fonds.ledger's
        # paid_on is judged by each repayment and reversal the model predicts.
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, fq_grant_paid(id) FROM fonds_grant")
            for grant, paid in cursor.fetchall():
                assert paid == self.paid_on(grant) >= 0, grant

    @invariant()
    def closed_funds_are_the_closings(self):
        funds = Fund.objects.filter(Q(status=Fund.Status.CLOSED) | Q(closing__isnull=False))
        closed = {
            pk: (status, closing)
            for pk, status, closing in funds.values_list("pk", "status", "closing")
        }
        assert closed == {
            pk: (Fund.Status.CLOSED, closing) for pk, closing in self.closings.items()
        }

    @invariant()
    def chains_verify(self):
        report = verify_ledger(registered=False)
        assert report.ok, report.error
        for fund in self.funds:
            count = sum(1 for tx in self.txs.values() if tx["fund"] == fund.pk)
            assert report.heads[fund.slug][0] == count


@pytest.mark.postgres
def test_random_postings_keep_the_ledger_consistent(quartier, other_quartier, people):
    year = timezone.localdate().year
    funds = [
        _open_fund(
            quartier,
            label="Fonds an-1",
            period_start=datetime.date(year - 1, 1, 1),
            period_end=datetime.date(year - 1, 12, 31),
        ),
        *make_funds(quartier, 2),
        _open_fund(
            quartier,
            label="Fonds an+1",
            period_start=datetime.date(year + 1, 1, 1),
            period_end=datetime.date(year + 1, 12, 31),
        ),
    ]
    assert len(funds) == FUNDS
    author = people["author"]
    initiatives = []
    for fund in funds:
        initiatives.append(make_initiative(fund, author, "1500.00"))
        initiatives.append(make_initiative(fund, author, "400.00"))
    LedgerMachine.world = {
        "funds": funds,
        "initiatives": initiatives,
        "elsewhere": [_open_fund(other_quartier, label="Fonds ailleurs")],
    }
    try:
        run_state_machine_as_test(
            LedgerMachine,
            settings=settings(
                max_examples=40,
                stateful_step_count=25,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        LedgerMachine.world = None
    print("\nOutcomes over all examples:", dict(sorted(LedgerMachine.outcomes.items())))
