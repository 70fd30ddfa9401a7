from django.db import migrations, models
from django.db.models import Q

from accounts.dbutils import append_only, no_truncate, postgres_sql

# A ledger account's cached balance and chain head follow from the legs and transactions
# inserted: triggers owned by the schema's owner write them, in the same transaction as
# the rows that justify them. Written any other way — by the application, which holds no
# UPDATE right on them, or by the owner itself — they are refused.
CACHED_COLUMNS = """
CREATE OR REPLACE FUNCTION fq_ledger_account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger accounts are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.balance <> 0 OR NEW.head_sequence <> 0 OR NEW.head_hash <> repeat('0', 64) THEN
            RAISE EXCEPTION 'a ledger account opens empty, at the start of its chain'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.kind IS DISTINCT FROM OLD.kind OR NEW.fund_id IS DISTINCT FROM OLD.fund_id
       OR NEW.grant_id IS DISTINCT FROM OLD.grant_id THEN
        RAISE EXCEPTION 'a ledger account keeps its kind, fund and grant'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF (NEW.balance IS DISTINCT FROM OLD.balance
        OR NEW.head_sequence IS DISTINCT FROM OLD.head_sequence
        OR NEW.head_hash IS DISTINCT FROM OLD.head_hash)
       AND pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'ledger account %: balance and chain head follow from the legs only', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
DROP TRIGGER IF EXISTS fonds_ledgeraccount_guard ON fonds_ledgeraccount;
CREATE TRIGGER fonds_ledgeraccount_guard BEFORE INSERT OR UPDATE OR DELETE ON fonds_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION fq_ledger_account_guard();

CREATE OR REPLACE FUNCTION fq_ledger_leg_applied() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE fonds_ledgeraccount SET balance = balance + NEW.amount WHERE id = NEW.account_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER fonds_ledgerleg_applied AFTER INSERT ON fonds_ledgerleg
    FOR EACH ROW EXECUTE FUNCTION fq_ledger_leg_applied();

CREATE OR REPLACE FUNCTION fq_ledger_transaction_chained() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE fonds_ledgeraccount SET head_sequence = NEW.sequence, head_hash = NEW.hash
     WHERE kind = 'fund_available' AND fund_id = NEW.fund_id
       AND head_sequence = NEW.sequence - 1 AND head_hash = NEW.previous_hash;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not extend the head of its fund''s chain', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_extends_chain_head';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER fonds_ledgertransaction_chained AFTER INSERT ON fonds_ledgertransaction
    FOR EACH ROW EXECUTE FUNCTION fq_ledger_transaction_chained();
"""

UNDO_CACHED_COLUMNS = """
DROP TRIGGER IF EXISTS fonds_ledgerleg_applied ON fonds_ledgerleg;
DROP TRIGGER IF EXISTS fonds_ledgertransaction_chained ON fonds_ledgertransaction;
"""

# What the commune committed to an initiative, its COMMITs less their reversals, never
# exceeds what the initiative asked. The initiative's row is locked first (the service
# takes the same lock before the accounts), so two commits for one initiative queue.
WITHIN_REQUEST = """
CREATE OR REPLACE FUNCTION fq_initiative_committed(initiative bigint) RETURNS numeric
    LANGUAGE sql STABLE AS $$
    SELECT COALESCE(SUM(c.amount), 0) - COALESCE(SUM(r.amount), 0)
      FROM fonds_grant g
      JOIN fonds_ledgertransaction c ON c.grant_id = g.id AND c.kind = 'commit'
      LEFT JOIN fonds_ledgertransaction r ON r.reverses_id = c.id
     WHERE g.initiative_id = initiative;
$$;

CREATE OR REPLACE FUNCTION fq_ledger_commit_within_request() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    initiative bigint;
    asked numeric;
    committed numeric;
BEGIN
    SELECT g.initiative_id INTO initiative FROM fonds_grant g WHERE g.id = NEW.grant_id;
    SELECT i.requested_amount INTO asked FROM fonds_initiative i WHERE i.id = initiative
       FOR NO KEY UPDATE;
    committed := fq_initiative_committed(initiative);
    IF committed > asked THEN
        RAISE EXCEPTION 'initiative %: % committed, % requested', initiative, committed, asked
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_commits_within_request';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER fonds_ledgertransaction_within_request AFTER INSERT ON fonds_ledgertransaction
    FOR EACH ROW WHEN (NEW.kind = 'commit')
    EXECUTE FUNCTION fq_ledger_commit_within_request();

CREATE OR REPLACE FUNCTION fq_initiative_request_covers_commits() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.requested_amount < fq_initiative_committed(NEW.id) THEN
        RAISE EXCEPTION 'initiative %: the request cannot fall below what was committed', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_commits_within_request';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER fonds_initiative_request_covers_commits
    BEFORE UPDATE OF requested_amount ON fonds_initiative
    FOR EACH ROW WHEN (NEW.requested_amount < OLD.requested_amount)
    EXECUTE FUNCTION fq_initiative_request_covers_commits();
"""

UNDO_WITHIN_REQUEST = """
DROP TRIGGER IF EXISTS fonds_ledgertransaction_within_request ON fonds_ledgertransaction;
DROP TRIGGER IF EXISTS fonds_initiative_request_covers_commits ON fonds_initiative;
"""

# History of the models that carry money is never rewritten: a row of history is
# neither updated nor truncated, and is deleted only once its object is gone (purging a
# deleted draft); an object that money touched is never deleted (PROTECT).
HISTORY = """
CREATE OR REPLACE FUNCTION fq_history_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    alive boolean;
BEGIN
    IF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE id = $1)', TG_ARGV[0])
            INTO alive USING OLD.id;
        IF NOT alive THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'history of % is never rewritten: % refused', TG_ARGV[0], TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""

HISTORY_TABLES = {
    "fonds_historicalfund": "fonds_fund",
    "fonds_historicalinitiative": "fonds_initiative",
    "fonds_historicalbudgetline": "fonds_budgetline",
    "fonds_historicalreport": "fonds_report",
    "fonds_historicalreportdocument": "fonds_reportdocument",
}


def history_guard(history, live):
    forward = (
        HISTORY
        + f"""
CREATE TRIGGER {history}_guard BEFORE UPDATE OR DELETE ON {history}
    FOR EACH ROW EXECUTE FUNCTION fq_history_guard('{live}');
"""
    )
    return postgres_sql(forward, f"DROP TRIGGER IF EXISTS {history}_guard ON {history};")


class Migration(migrations.Migration):
    dependencies = [
        ("fonds", "0007_quartier_outline_validated"),
        ("accounts", "0005_database_guards"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="ledgertransaction",
            constraint=models.UniqueConstraint(
                condition=Q(kind="commit"), fields=("grant",), name="ledger_one_commit_per_grant"
            ),
        ),
        append_only("fonds_grant"),
        no_truncate("fonds_ledgeraccount"),
        postgres_sql(CACHED_COLUMNS, UNDO_CACHED_COLUMNS),
        postgres_sql(WITHIN_REQUEST, UNDO_WITHIN_REQUEST),
        *(history_guard(history, live) for history, live in HISTORY_TABLES.items()),
        *(no_truncate(history) for history in HISTORY_TABLES),
    ]
