"""The application's PostgreSQL role: what it may do to each table.

Two roles share the database. The owner owns the schema, runs the migrations and is the
only one that could alter a table or switch a trigger off. The application connects as
a role that owns nothing, and whose rights follow from the guards the migrations
installed, read from the catalogue:

- append-only tables (a ``fq_refuse_change`` row trigger): SELECT and INSERT only;
- history of the money models (a ``fq_history_guard`` trigger): no UPDATE;
- ledger accounts: no UPDATE and no DELETE — their cached balance and chain head are
  written by the owner's triggers — except UPDATE of ``kind``, which locking a row
  (``SELECT … FOR UPDATE``) requires and the account's guard refuses to change;
- every other table: SELECT, INSERT, UPDATE, DELETE;
- TRUNCATE on no table, and USAGE on the sequences.
"""

from django.db import connection as default_connection
from psycopg import sql

GUARDED = """
SELECT DISTINCT c.relname, p.proname
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE n.nspname = 'public' AND NOT t.tgisinternal
   AND p.proname IN ('fq_refuse_change', 'fq_history_guard')
   AND (t.tgtype & 24) <> 0
"""
# tgtype bits 8 (DELETE) and 16 (UPDATE): the row triggers, not the TRUNCATE ones.

LEDGER_ACCOUNTS = "fonds_ledgeraccount"


def protected_tables(cursor):
    """{table: "append_only" | "history"} read from the triggers in place."""
    cursor.execute(GUARDED)
    kinds = {}
    for table, function in cursor.fetchall():
        kinds[table] = "append_only" if function == "fq_refuse_change" else "history"
    return kinds


def grant_statements(cursor, role):
    """The statements that give ``role`` exactly the application's rights."""
    who = sql.Identifier(role)
    statements = [
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(who),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(who),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(who),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            who
        ),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(who),
    ]
    for table, kind in sorted(protected_tables(cursor).items()):
        rights = "UPDATE, DELETE" if kind == "append_only" else "UPDATE"
        statements.append(
            sql.SQL("REVOKE " + rights + " ON {} FROM {}").format(sql.Identifier(table), who)
        )
    statements += [
        sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(LEDGER_ACCOUNTS), who),
        sql.SQL("GRANT UPDATE (kind) ON {} TO {}").format(sql.Identifier(LEDGER_ACCOUNTS), who),
    ]
    return statements


def grant_application_role(role, connection=None):
    """Give ``role`` the application's rights on every table, as the owner (after each
    migration: a new table starts with no right for the application at all)."""
    connection = connection or default_connection
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: the statements are sql.Composed
        for statement in grant_statements(raw, role):
            raw.execute(statement)


def role_problems(role, connection=None):
    """What is wrong with ``role`` as the application's role: superuser, owner of a
    table, member of the owner, or able to create roles or databases."""
    connection = connection or default_connection
    problems = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls FROM pg_roles "
            "WHERE rolname = %s",
            [role],
        )
        row = cursor.fetchone()
        if row is None:
            return [f"role {role} does not exist"]
        for flag, name in zip(
            row, ("SUPERUSER", "CREATEROLE", "CREATEDB", "BYPASSRLS"), strict=True
        ):
            if flag:
                problems.append(f"role {role} has {name}")
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = %s",
            [role],
        )
        if cursor.fetchone()[0]:
            problems.append(f"role {role} owns tables")
        cursor.execute(
            "SELECT pg_has_role(%s, pg_get_userbyid(c.relowner), 'MEMBER') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' LIMIT 1",
            [role],
        )
        row = cursor.fetchone()
        if row and row[0]:
            problems.append(f"role {role} is a member of the tables' owner")
    return problems
