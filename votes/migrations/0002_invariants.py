from django.db import migrations

from accounts.dbutils import append_only, postgres_sql

PUBLISHED_DECISIONS = """
CREATE OR REPLACE FUNCTION fq_decision_published_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.published_at IS NOT NULL THEN
        RAISE EXCEPTION 'published decision % is never changed: publish a correction', OLD.reference
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER votes_decision_published_guard BEFORE UPDATE OR DELETE ON votes_decision
    FOR EACH ROW EXECUTE FUNCTION fq_decision_published_guard();
"""

UNDO = "DROP TRIGGER IF EXISTS votes_decision_published_guard ON votes_decision;"


class Migration(migrations.Migration):
    dependencies = [("votes", "0001_initial")]

    operations = [
        append_only("votes_cast"),
        append_only("votes_participation"),
        append_only("votes_ballot"),
        postgres_sql(PUBLISHED_DECISIONS, UNDO),
    ]
