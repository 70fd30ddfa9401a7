"""`ledger verify` beyond the chain: each tampering that leaves the hash chains whole —
a tail cut with its head rewound, a re-pointed grant, decisions erased or changed, a
COMMIT citing no decision, a history rewritten consistently — is found by a
cross-check (audit log, signed minutes, grants, decisions, published anchors), which
names the row. Tampering is done as the database's owner, with its guards asleep
(tests.dbowner), inside the test's transaction: the demo commune is whole again after."""

import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import AuditEntry
from cms.demo.councils import seats
from cms.feeds import ANCHOR_NAMESPACE
from fonds.anchors import anchor_line, check_anchors, ledger_anchor, read_anchors
from fonds.ledger import chain_hash, ledger_commit, ledger_credit
from fonds.models import Grant, Initiative, LedgerAccount, LedgerTransaction
from fonds.verify import LEDGER_CHECKS, registered_checks, replay_ledger, verify_ledger
from tests.dbowner import as_owner
from tests.system import SYSTEM
from votes.models import Decision, Session
from votes.services import decision_record, minutes_sign, session_close
from votes.verify import decisions_against_commits, minutes_heads_in_chain

from .conftest import unique

pytestmark = pytest.mark.postgres

ALL_CHECKS = [check.__name__ for check in LEDGER_CHECKS + tuple(registered_checks())]


def verify_fails_with(*parts):
    report = verify_ledger()
    assert not report.ok, "the tampering went unnoticed"
    for part in parts:
        assert part in report.error, report.error
    return report.error


def command(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ledger", *args, stdout=out, stderr=err)
    except SystemExit as exited:
        return exited.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def credit(fund, amount="10.00"):
    return ledger_credit(actor=SYSTEM, fund=fund, amount=amount, idempotency_key=unique("x"))


def cut_tail(tx):
    """Delete ``tx`` — the last of its fund's chain — and its legs, and rewind the
    accounts it moved and the chain's head: the chain and balances replay cleanly."""
    as_owner(
        "UPDATE fonds_ledgeraccount a SET balance = a.balance - l.amount "
        "FROM fonds_ledgerleg l WHERE l.account_id = a.id AND l.transaction_id = %s",
        [tx.pk],
    )
    as_owner("DELETE FROM fonds_ledgerleg WHERE transaction_id = %s", [tx.pk])
    as_owner("DELETE FROM fonds_ledgertransaction WHERE id = %s", [tx.pk])
    as_owner(
        "UPDATE fonds_ledgeraccount SET head_sequence = %s, head_hash = %s "
        "WHERE kind = 'fund_available' AND fund_id = %s",
        [tx.sequence - 1, tx.previous_hash, tx.fund_id],
    )


def forget_in_audit(tx):
    as_owner(
        "DELETE FROM accounts_auditentry WHERE target_type = 'fonds.ledgertransaction' "
        "AND target_id = %s",
        [str(tx.pk)],
    )


def published_grant():
    """A granted, published decision of the demo and the grant its COMMIT created (one
    that was not carried over to another period)."""
    carried = Grant.objects.filter(carried_from__isnull=False).values("decision_reference")
    decision = (
        Decision.objects.filter(published_at__isnull=False, outcome="granted")
        .exclude(reference__in=carried)
        .select_related("item__initiative")
        .order_by("pk")
        .first()
    )
    return decision, Grant.objects.get(decision_reference=decision.reference)


# The untampered demo --------------------------------------------------------------------


def test_the_demo_commune_verifies_with_every_cross_check(demo):
    report = verify_ledger()
    assert report.ok, report.error
    assert report.transactions == LedgerTransaction.objects.count() > 40
    assert report.checks == ALL_CHECKS
    assert {"decisions_against_commits", "minutes_heads_in_chain"} <= set(report.checks)
    code, out, err = command("verify")
    assert code == 0, err
    assert f"ledger verify OK: {report.transactions} transactions replayed." in out
    assert "Cross-checks passed: audit_log_heads, grants_against_commits" in out


# A tail cut, its head rewound ------------------------------------------------------------


def test_a_tail_cut_with_its_head_rewound_is_found_in_the_audit_log(demo):
    fund = demo["funds"][0]
    last = credit(fund)
    assert verify_ledger().ok
    cut_tail(last)
    assert LedgerAccount.objects.get(kind="fund_available", fund=fund).head_sequence == (
        last.sequence - 1
    )
    # The chains and balances alone replay cleanly: this is what the cross-checks add.
    assert replay_ledger()[0].ok
    audit = AuditEntry.objects.get(action="fonds.ledger.credit", target_id=str(last.pk))
    verify_fails_with(
        f"audit entry id {audit.pk}: transaction id {last.pk} of fund {fund.slug}",
        last.hash,
        "is not in the chain",
    )
    code, _out, err = command("verify")
    assert code == 1 and f"ledger verify FAILED at audit entry id {audit.pk}" in err


def test_a_tail_cut_with_its_audit_rows_erased_is_found_in_the_signed_minutes(demo):
    """Today's open session: its dossier adjourned, the session closed and its minutes
    signed right after a credit of the dossier's fund, whose hash they print."""
    session = Session.objects.get(status=Session.Status.OPEN)
    item = session.items.select_related("initiative__fund").get()
    chair = seats(session.council)[0]
    last = credit(item.initiative.fund)
    decision_record(actor=chair, item=item, defer=True, reason="Devis à préciser.")
    session_close(actor=chair, session=session)
    signed = minutes_sign(actor=chair, session=session)
    assert last.hash in signed.minutes_head_hash.split()
    assert verify_ledger().ok
    cut_tail(last)
    forget_in_audit(last)
    verify_fails_with(
        f"session id {session.pk}: its signed minutes print head hash {last.hash}",
        "which the chain no longer holds",
    )
    # Rewriting the minutes to match is found too: the signature's audit row keeps them.
    as_owner(
        "UPDATE votes_session SET minutes_head_hash = %s WHERE id = %s",
        [last.previous_hash, session.pk],
    )
    verify_fails_with(
        f"session id {session.pk}: its minutes no longer print the head hashes they were "
        "signed with"
    )


# Grants --------------------------------------------------------------------------------


def test_a_grant_re_pointed_to_another_initiative_is_found(demo):
    decision, grant = published_grant()
    other = Initiative.objects.filter(fund=grant.fund).exclude(pk=grant.initiative_id).first()
    as_owner("UPDATE fonds_grant SET initiative_id = %s WHERE id = %s", [other.pk, grant.pk])
    verify_fails_with(
        f"grant id {grant.pk} (decision {decision.reference}) belongs to initiative id {other.pk}",
        f"records that decision for initiative id {grant.initiative_id}",
    )
    # With the initiative's audit row erased too, the decision still names the initiative.
    as_owner(
        "DELETE FROM accounts_auditentry WHERE action = 'fonds.initiative.decision_granted' "
        "AND target_id = %s",
        [str(grant.initiative_id)],
    )
    verify_fails_with(
        f"decision {decision.reference} (id {decision.pk}) grants initiative id "
        f"{grant.initiative_id}; the grant id {grant.pk}",
        f"belongs to initiative id {other.pk}",
    )


def test_a_grant_re_pointed_to_another_decision_is_found(demo):
    decision, grant = published_grant()
    commit = grant.transactions.get(kind="commit")
    as_owner(
        "UPDATE fonds_grant SET decision_reference = 'CQ-AILLEURS-2026-999' WHERE id = %s",
        [grant.pk],
    )
    verify_fails_with(
        f"grant id {grant.pk} (decision CQ-AILLEURS-2026-999): its COMMIT transaction id "
        f"{commit.pk}",
        f"cites decision {decision.reference}",
    )


def test_a_grant_moved_to_another_fund_is_found(demo):
    _decision, grant = published_grant()
    other = next(fund for fund in demo["funds"] if fund.pk != grant.fund_id)
    as_owner("UPDATE fonds_grant SET fund_id = %s WHERE id = %s", [other.pk, grant.pk])
    verify_fails_with(f"grant id {grant.pk}", f"belongs to fund {other.slug}, not its COMMIT")


# Decisions ------------------------------------------------------------------------------


def test_a_published_decision_deleted_is_found_by_its_commit(demo):
    decision, grant = published_grant()
    commit = grant.transactions.get(kind="commit")
    as_owner("DELETE FROM votes_decision WHERE id = %s", [decision.pk])
    verify_fails_with(
        f"COMMIT transaction id {commit.pk} (fund {grant.fund.slug}, sequence "
        f"{commit.sequence}) cites decision {decision.reference}, which is not a published "
        "decision"
    )


def test_every_decision_truncated_is_found(demo):
    first_commit = LedgerTransaction.objects.filter(kind="commit").order_by("pk").first()
    with connection.cursor() as cursor:
        # TRUNCATE waits for no deferred check of the demo's rows: fire them first.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    as_owner("TRUNCATE votes_decision CASCADE")
    assert not Decision.objects.exists()
    verify_fails_with(
        f"COMMIT transaction id {first_commit.pk}",
        f"cites decision {first_commit.reference}, which is not a published decision",
    )


def test_a_published_refusal_deleted_is_found_in_the_audit_log(demo):
    """A refusal moves no money: only its publication's audit row remembers it."""
    refusal = Decision.objects.filter(published_at__isnull=False, outcome="refused").first()
    as_owner("DELETE FROM votes_decision WHERE id = %s", [refusal.pk])
    audit = AuditEntry.objects.get(action="votes.decision.publish", target_id=str(refusal.pk))
    verify_fails_with(
        f"decision {refusal.reference} (id {refusal.pk}), published (audit entry id "
        f"{audit.pk}), no longer exists"
    )


def test_a_decision_whose_amount_changed_is_found(demo):
    decision, grant = published_grant()
    commit = grant.transactions.get(kind="commit")
    as_owner("UPDATE votes_decision SET amount = amount + 100 WHERE id = %s", [decision.pk])
    changed = decision.amount + 100
    verify_fails_with(
        f"decision {decision.reference} (id {decision.pk}) grants {changed} €, its COMMIT "
        f"transaction id {commit.pk}",
        f"commits {commit.amount} €",
    )


def test_a_commit_whose_decision_does_not_exist_is_found(demo):
    """Posted through the service, as an administrator could: the chain accepts it, the
    council never decided it."""
    initiative = Initiative.objects.filter(status="admissible").order_by("pk").first()
    commit = ledger_commit(
        actor=SYSTEM,
        initiative=initiative,
        amount="100.00",
        decision_reference="CQ-INVENTEE-2026-001",
        idempotency_key=unique("commit"),
    )
    assert replay_ledger()[0].ok
    verify_fails_with(
        f"COMMIT transaction id {commit.pk} (fund {initiative.fund.slug}, sequence "
        f"{commit.sequence}) cites decision CQ-INVENTEE-2026-001, which is not a published "
        "decision"
    )
    # A ledger exercised alone (its own tests) may skip the council's checks.
    assert verify_ledger(registered=False).ok


def test_the_council_checks_are_registered_by_the_votes_app():
    assert decisions_against_commits in registered_checks()
    assert minutes_heads_in_chain in registered_checks()


# Anchors --------------------------------------------------------------------------------


def write_anchors(tmp_path, *anchors, as_list=False):
    path = tmp_path / "ancrages.jsonl"
    if as_list:
        path.write_text(json.dumps(list(anchors)), encoding="utf-8")
    else:
        path.write_text("\n".join(anchor_line(a) for a in anchors) + "\n", encoding="utf-8")
    return str(path)


def test_the_chain_extends_every_anchor_published_before_it_grew(demo, tmp_path):
    code, out, _err = command("anchor")
    assert code == 0
    first = json.loads(out)
    assert first == ledger_anchor() | {"at": first["at"]}
    assert first["at"].endswith("Z")
    fund = demo["funds"][0]
    head = LedgerAccount.objects.get(kind="fund_available", fund=fund)
    assert first["funds"][fund.slug] == {"sequence": head.head_sequence, "hash": head.head_hash}
    credit(fund)
    credit(demo["funds"][1])
    second = ledger_anchor()
    assert second["digest"] != first["digest"]
    for as_list in (False, True):
        path = write_anchors(tmp_path, first, second, as_list=as_list)
        code, out, err = command("verify", "--anchors", path)
        assert code == 0, err
        assert "The chains extend all 2 anchors" in out


def test_a_history_rewritten_consistently_breaks_the_published_anchor(demo, tmp_path):
    """The owner rewrites a memo, recomputes every hash after it, the head and the
    audit rows: every other check passes; the anchor published before does not."""
    fund = demo["funds"][0]
    rewritten = credit(fund)
    anchored = ledger_anchor()
    following = credit(fund)
    path = write_anchors(tmp_path, anchored)
    assert command("verify", "--anchors", path)[0] == 0

    rewritten.memo = "Crédit détourné"
    new_hash = chain_hash(rewritten.previous_hash, rewritten, list(rewritten.legs.all()))
    following.previous_hash = new_hash
    next_hash = chain_hash(new_hash, following, list(following.legs.all()))
    for tx, memo, previous, tx_hash in (
        (rewritten, rewritten.memo, rewritten.previous_hash, new_hash),
        (following, following.memo, new_hash, next_hash),
    ):
        as_owner(
            "UPDATE fonds_ledgertransaction SET memo = %s, previous_hash = %s, hash = %s "
            "WHERE id = %s",
            [memo, previous, tx_hash, tx.pk],
        )
        as_owner(
            "UPDATE accounts_auditentry SET data = jsonb_set(data, '{hash}', to_jsonb(%s::text)) "
            "WHERE target_type = 'fonds.ledgertransaction' AND target_id = %s",
            [tx_hash, str(tx.pk)],
        )
    as_owner(
        "UPDATE fonds_ledgeraccount SET head_hash = %s WHERE kind = 'fund_available' "
        "AND fund_id = %s",
        [next_hash, fund.pk],
    )
    assert verify_ledger().ok
    code, _out, err = command("verify", "--anchors", path)
    assert code == 1
    assert (
        f"ledger verify FAILED at anchor of {anchored['at']}: fund {fund.slug}, transaction "
        f"sequence {rewritten.sequence} no longer has the anchored hash {rewritten.hash}"
    ) in err


def test_an_anchor_of_a_missing_fund_or_a_longer_chain_fails(demo):
    heads = verify_ledger().heads
    anchor = ledger_anchor()
    slug, head = next(iter(anchor["funds"].items()))
    longer = {slug: head | {"sequence": head["sequence"] + 5}}
    assert check_anchors([anchor | {"funds": longer, "digest": None}], heads) == (
        f"anchor of {anchor['at']}: fund {slug} had {head['sequence'] + 5} transactions, its "
        f"chain now holds only {head['sequence']}"
    )
    gone = {"fonds-disparu": head}
    assert check_anchors([anchor | {"funds": gone, "digest": None}], heads) == (
        f"anchor of {anchor['at']}: fund fonds-disparu is missing from the ledger"
    )
    altered = anchor | {"funds": anchor["funds"] | {slug: head | {"sequence": 1}}}
    assert "its digest does not match the heads it lists" in check_anchors([altered], heads)
    assert check_anchors([anchor], heads) is None


def test_an_unreadable_anchors_file_is_a_clear_error(db, tmp_path):
    assert read_anchors('# published\n\n{"at": "x", "funds": {}}\n') == [{"at": "x", "funds": {}}]
    for text, message in (
        ("pas du json\n", "line 1 of the anchors file is not JSON"),
        ("[1, 2", "the anchors file is not valid JSON"),
        ('{"at": "x"}\n', "anchor 1 of the file is not an anchor"),
        ("\n", "the anchors file holds no anchor"),
    ):
        path = tmp_path / "ancrages.txt"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(CommandError, match=message):
            call_command("ledger", "verify", "--anchors", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("ledger", "verify", "--anchors", str(tmp_path / "absent.jsonl"))


# Where the commune publishes the anchor ---------------------------------------------------


def test_the_decisions_feed_and_page_carry_the_current_anchor(demo, client, tmp_path):
    response = client.get("/decisions/flux.rss")
    assert response.status_code == 200
    channel = ET.fromstring(response.content).find("channel")
    element = channel.find(f"{{{ANCHOR_NAMESPACE}}}ledgerAnchor")
    published = json.loads(element.text)
    current = ledger_anchor()
    assert published["funds"] == current["funds"]
    assert element.get("digest") == published["digest"] == current["digest"]
    assert element.get("at") == published["at"]
    # A copy of the feed is an anchor `ledger verify --anchors` checks.
    credit(demo["funds"][0])
    path = tmp_path / "flux.jsonl"
    path.write_text(element.text, encoding="utf-8")
    code, _out, err = command("verify", "--anchors", str(path))
    assert code == 0, err

    page = client.get("/decisions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Empreinte du grand livre" in html
    assert ledger_anchor()["digest"] in html
