"""PostgreSQL helpers for the invariants the database itself must hold. On SQLite (the
demo) these are no-ops and the same rules hold in Python."""

from django.db import migrations

# UPDATE, DELETE and TRUNCATE are refused to every role, the owner's included; no
# setting a session could change is read. Resetting data (the test suite between
# tests) is done by a superuser with session_replication_role = replica.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION fq_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is protected: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def append_only(table):
    """A migration operation that makes ``table`` insert-only on PostgreSQL: any
    UPDATE, DELETE or TRUNCATE raises SQLSTATE 42501."""
    forward = (
        APPEND_ONLY_FUNCTION
        + f"""
CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION fq_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION fq_refuse_change();
"""
    )
    backward = f"""
DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table};
DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};
"""
    return postgres_sql(forward, backward)


def no_truncate(table):
    """A migration operation that refuses TRUNCATE on ``table`` (a statement-level
    trigger: a per-row guard never sees a TRUNCATE, nor a TRUNCATE … CASCADE)."""
    forward = (
        APPEND_ONLY_FUNCTION
        + f"""
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION fq_refuse_change();
"""
    )
    return postgres_sql(forward, f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")


def postgres_sql(forward, backward):
    """A migration operation running raw SQL on PostgreSQL only."""
    return migrations.RunPython(
        _run_on_postgres(forward), _run_on_postgres(backward), elidable=False
    )


def _run_on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


def constraint_violated(error, name):
    """True if the IntegrityError ``error`` was raised by the constraint ``name`` (read
    from PostgreSQL's diagnostics, never from the message text)."""
    diag = getattr(error.__cause__, "diag", None)
    return diag is not None and diag.constraint_name == name
