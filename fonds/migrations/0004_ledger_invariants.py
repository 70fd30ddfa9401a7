from django.db import migrations

from accounts.dbutils import append_only, postgres_sql

BALANCED = """
CREATE OR REPLACE FUNCTION fq_ledger_check_balanced(tx bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
    legs integer;
    wrong integer;
BEGIN
    SELECT COALESCE(SUM(l.amount), 0), COUNT(*),
           COUNT(*) FILTER (WHERE ABS(l.amount) <> t.amount)
      INTO total, legs, wrong
      FROM fonds_ledgertransaction t LEFT JOIN fonds_ledgerleg l ON l.transaction_id = t.id
     WHERE t.id = tx
     GROUP BY t.id;
    IF total <> 0 OR legs < 2 OR wrong > 0 THEN
        RAISE EXCEPTION 'ledger transaction % is unbalanced (sum %, % legs)', tx, total, legs
            USING ERRCODE = 'check_violation';
    END IF;
END;
$$;

CREATE OR REPLACE FUNCTION fq_ledger_leg_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_ledger_check_balanced(NEW.transaction_id);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION fq_ledger_transaction_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM fq_ledger_check_balanced(NEW.id);
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER fonds_ledgerleg_balanced
    AFTER INSERT ON fonds_ledgerleg DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION fq_ledger_leg_balanced();
CREATE CONSTRAINT TRIGGER fonds_ledgertransaction_balanced
    AFTER INSERT ON fonds_ledgertransaction DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION fq_ledger_transaction_balanced();

CREATE OR REPLACE FUNCTION fq_ledger_account_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'ledger accounts are never deleted' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.kind IS DISTINCT FROM OLD.kind OR NEW.fund_id IS DISTINCT FROM OLD.fund_id
       OR NEW.grant_id IS DISTINCT FROM OLD.grant_id THEN
        RAISE EXCEPTION 'a ledger account keeps its kind, fund and grant'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER fonds_ledgeraccount_guard BEFORE UPDATE OR DELETE ON fonds_ledgeraccount
    FOR EACH ROW EXECUTE FUNCTION fq_ledger_account_guard();
"""

UNDO = """
DROP TRIGGER IF EXISTS fonds_ledgerleg_balanced ON fonds_ledgerleg;
DROP TRIGGER IF EXISTS fonds_ledgertransaction_balanced ON fonds_ledgertransaction;
DROP TRIGGER IF EXISTS fonds_ledgeraccount_guard ON fonds_ledgeraccount;
"""


class Migration(migrations.Migration):
    dependencies = [("fonds", "0003_ledger")]

    operations = [
        append_only("fonds_ledgertransaction"),
        append_only("fonds_ledgerleg"),
        postgres_sql(BALANCED, UNDO),
    ]
