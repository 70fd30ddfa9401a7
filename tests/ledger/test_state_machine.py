"""Random sequences of postings against a model of the ledger kept in Python.

Each Hypothesis example runs inside a savepoint of the test's transaction and is rolled
back when it ends; the deferred balance triggers are fired after every step with
``SET CONSTRAINTS ALL IMMEDIATE``, as a COMMIT would."""

import datetime
from collections import Counter
from decimal import Decimal, InvalidOperation

import pytest
from django.db import connection, transaction
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
from fonds.ledger import (
    committed_to,
    ledger_commit,
    ledger_credit,
    ledger_disburse,
    ledger_release,
    ledger_reverse,
)
from fonds.models import Grant, LedgerAccount, LedgerTransaction
from fonds.verify import verify_ledger
from tests.system import SYSTEM

from .conftest import make_funds, make_initiative

MAX_AMOUNT = Decimal("1000000.00")
ZERO = Decimal("0")

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
        # The model: balances by account label, transactions, keys and references.
        self.balance = {}
        self.grant_fund = {}  # grant pk -> fund pk
        self.grant_reference = {}
        self.txs = {}  # tx pk -> record
        self.keys = {}  # key -> tx pk, for applied postings only
        self.references = set()
        self.attempts = []  # every op tried, for retries and reused keys
        self.counter = 0

    def teardown(self):
        transaction.savepoint_rollback(self.savepoint)

    # Helpers --------------------------------------------------------------------------

    def key(self, reuse):
        if reuse is not None and self.attempts:
            return self.attempts[reuse % len(self.attempts)]["key"]
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
            return self.key_check(op) or self.funds_check(original["target"], amount)
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
            return self.funds_check(("available", op["fund"]), amount)
        if kind == "disburse":
            if not op["reference"].strip() or op["date"] > timezone.localdate():
                return "refused", None
        found = self.key_check(op)
        if found:
            return found
        if kind == "credit":
            return "ok", None
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
        if kind == "disburse":
            return ledger_disburse(
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
                assert error.code == detail, (op, error.code, error.message)
            self.outcomes[f"{op['kind']}: refused ({error.code})"] += 1
            return None
        assert outcome != "refused", (op, detail, "was applied")
        self.outcomes[f"{op['kind']}: {outcome}"] += 1
        if outcome == "same":
            assert tx.pk == detail, (op, "retry returned another transaction")
            return tx
        self.apply(op, tx)
        return tx

    def apply(self, op, tx):
        assert tx.pk not in self.txs
        kind, amount, fund = op["kind"], op["amount"], op["fund"]
        if kind == "credit":
            source, target = ("budget",), ("available", fund)
        elif kind == "commit":
            self.grant_fund[tx.grant_id] = fund
            self.grant_reference[tx.grant_id] = op["reference"].strip()
            self.references.add(op["reference"].strip())
            source, target = ("available", fund), ("grant", tx.grant_id)
        elif kind == "disburse":
            source, target = ("grant", op["grant"]), ("paid", fund)
        elif kind == "release":
            source, target = ("grant", op["grant"]), ("available", fund)
        else:
            original = self.txs[op["original"]]
            original["reversed"] = True
            source, target = original["target"], original["source"]
        assert (tx.fund_id, tx.kind, tx.amount) == (fund, op["tx_kind"], amount)
        self.balance[source] = self.get(source) - amount
        self.balance[target] = self.get(target) + amount
        self.keys[op["key"]] = tx.pk
        self.txs[tx.pk] = {
            "fund": fund,
            "kind": op["tx_kind"],
            "amount": amount,
            "source": source,
            "target": target,
            "reversed": False,
            "reference": tx.reference,
            "grant": tx.grant_id,
            "reverses": tx.reverses_id,
            "initiative": op["initiative"].pk if kind == "commit" else None,
        }

    # Rules ----------------------------------------------------------------------------

    @initialize(
        envelopes=st.lists(
            st.decimals(min_value=Decimal("300.00"), max_value=Decimal("5000.00"), places=2),
            min_size=3,
            max_size=3,
        ),
        grants=st.lists(small_money, min_size=3, max_size=3),
    )
    def credit_and_commit_in_every_fund(self, envelopes, grants):
        for fund, envelope, granted in zip(self.funds, envelopes, grants, strict=False):
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
            self.attempt(self.commit_op(index, granted, None, None))

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

    def grant_op(self, kind, index, raw, reuse, **extra):
        grants = sorted(self.grant_fund)
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
    )
    def disburse(self, index, raw, reuse, payment, everything):
        today = timezone.localdate()
        op = self.grant_op(
            "disburse",
            index,
            raw,
            reuse,
            reference="  " if payment == "no_reference" else f"VIR-{index}",
            date=today + datetime.timedelta(days=1) if payment == "future" else today,
        )
        if everything:  # what is left on the grant, exactly
            left = self.get(("grant", op["grant"]))
            if left > 0:
                op["raw"] = op["amount"] = left
        self.attempt(op)

    @precondition(lambda self: self.grant_fund)
    @rule(index=indexes, raw=amounts, reuse=maybe_reuse, everything=st.booleans())
    def release(self, index, raw, reuse, everything):
        op = self.grant_op("release", index, raw, reuse)
        op["reference"] = self.grant_reference[op["grant"]]
        if everything:
            left = self.get(("grant", op["grant"]))
            if left > 0:
                op["raw"] = op["amount"] = left
        self.attempt(op)

    @precondition(lambda self: self.txs)
    @rule(index=indexes, reuse=maybe_reuse)
    def reverse(self, index, reuse):
        pks = sorted(self.txs)
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
        op = dict(applied[index % len(applied)])
        if self.txs[self.keys[op["key"]]]["kind"] != op["tx_kind"]:
            return  # this attempt reused a key and was refused; the key is another's
        if op["kind"] == "commit":
            twins = [x for x in self.initiatives if x.fund_id == op["fund"]]
            original = op["initiative"]
            op["initiative"] = twins[which % len(twins)]
            if op["initiative"].pk == original.pk:
                op["reference"] = f"{op['reference']}-bis"
        elif op["kind"] == "disburse":
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

    # Invariants -----------------------------------------------------------------------

    @invariant()
    def deferred_checks_pass(self):
        # What COMMIT would check: every transaction's legs balance.
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
            }[kind]
            stored[label] = balance
        for label in set(stored) | set(self.balance):
            assert stored.get(label, ZERO) == self.get(label), label
        for label, balance in stored.items():
            if label[0] != "budget":
                assert balance >= 0, label
        assert LedgerTransaction.objects.count() == len(self.txs)

    @invariant()
    def commitments_stay_within_each_request(self):
        for initiative in self.initiatives:
            committed = committed_to(initiative)
            assert committed == self.committed_to(initiative.pk)
            assert committed <= initiative.requested_amount

    @invariant()
    def chains_verify(self):
        report = verify_ledger(registered=False)
        assert report.ok, report.error
        for fund in self.funds:
            count = sum(1 for tx in self.txs.values() if tx["fund"] == fund.pk)
            assert report.heads[fund.slug][0] == count


@pytest.mark.postgres
def test_random_postings_keep_the_ledger_consistent(quartier, people):
    funds = make_funds(quartier, 3)
    author = people["author"]
    initiatives = []
    for fund in funds:
        initiatives.append(make_initiative(fund, author, "1500.00"))
        initiatives.append(make_initiative(fund, author, "400.00"))
    LedgerMachine.world = {"funds": funds, "initiatives": initiatives}
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
