"""The database refuses what the application must never do: every forbidden statement,
run as the application's role, is refused; the protected tables refuse the owner too;
and no guard reads a setting that a session could SET."""

import pytest
from django.db import DatabaseError, connection, transaction

from accounts.dbroles import protected_tables, role_problems

from .dbowner import APP_ROLE, as_owner

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

APPEND_ONLY = {
    "accounts_auditentry",
    "fonds_ledgertransaction",
    "fonds_fundclosing",
    "fonds_ledgerleg",
    "fonds_grant",
    "votes_cast",
    "votes_participation",
    "votes_ballot",
}
HISTORY = {
    "fonds_historicalfund",
    "fonds_historicalinitiative",
    "fonds_historicalbudgetline",
    "fonds_historicalreport",
    "fonds_historicalreportdocument",
}
# Every table whose TRUNCATE the database refuses, whoever asks.
NO_TRUNCATE = APPEND_ONLY | HISTORY | {"fonds_ledgeraccount", "votes_decision"}


def public_tables():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname"
        )
        return [name for (name,) in cursor.fetchall()]


def refusal(statement, params=None):
    """The SQLSTATE PostgreSQL answered ``statement`` with, or None if it ran."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, params)
    except DatabaseError as error:
        return getattr(error.__cause__, "sqlstate", "?")
    return None


def test_the_suite_runs_as_the_restricted_application_role():
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, session_user")
        assert cursor.fetchone() == (APP_ROLE, APP_ROLE)
    assert role_problems(APP_ROLE) == []


def test_the_guards_are_where_the_rules_say():
    with connection.cursor() as cursor:
        kinds = protected_tables(cursor.cursor)
        cursor.execute(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND (t.tgtype & 32) <> 0"
        )
        truncate_guarded = {name for (name,) in cursor.fetchall()}
    assert {t for t, kind in kinds.items() if kind == "append_only"} == APPEND_ONLY
    assert {t for t, kind in kinds.items() if kind == "history"} == HISTORY
    assert NO_TRUNCATE <= truncate_guarded


def test_every_table_refuses_truncate_alter_and_disabling_its_triggers():
    """Nothing in the schema belongs to the application: it may neither TRUNCATE, nor
    ALTER, nor switch a trigger off, nor drop, on any table."""
    allowed = {}
    for table in public_tables():
        for statement in (
            f'TRUNCATE "{table}"',
            f'TRUNCATE "{table}" CASCADE',
            f'ALTER TABLE "{table}" DISABLE TRIGGER ALL',
            f'ALTER TABLE "{table}" DISABLE TRIGGER USER',
            f'ALTER TABLE "{table}" ADD COLUMN fq_extra integer',
            f'ALTER TABLE "{table}" OWNER TO "{APP_ROLE}"',
            f'CREATE TRIGGER fq_extra BEFORE INSERT ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger()",
            f'DROP TABLE "{table}" CASCADE',
        ):
            state = refusal(statement)
            if state != "42501":
                allowed[statement] = state
    assert allowed == {}


@pytest.mark.parametrize("table", sorted(APPEND_ONLY))
def test_append_only_tables_refuse_update_and_delete(table):
    assert refusal(f'UPDATE "{table}" SET id = id') == "42501"
    assert refusal(f'DELETE FROM "{table}"') == "42501"
    assert refusal(f'INSERT INTO "{table}" DEFAULT VALUES') != "42501"  # may insert


@pytest.mark.parametrize("table", sorted(HISTORY))
def test_history_of_money_models_refuses_update(table):
    assert refusal(f'UPDATE "{table}" SET history_id = history_id') == "42501"


@pytest.mark.parametrize("column", ["balance", "head_sequence", "head_hash"])
def test_cached_balances_and_heads_refuse_the_application(column):
    assert refusal(f"UPDATE fonds_ledgeraccount SET {column} = {column}") == "42501"
    assert refusal("DELETE FROM fonds_ledgeraccount") == "42501"


@pytest.mark.parametrize("table", sorted(NO_TRUNCATE))
def test_protected_tables_refuse_truncate_to_the_owner_too(table):
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        as_owner(f'TRUNCATE "{table}" CASCADE', triggers=True)
    assert caught.value.__cause__.sqlstate == "42501"


def test_a_session_cannot_put_the_triggers_to_sleep_or_become_the_owner():
    assert refusal("SET session_replication_role = replica") == "42501"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT string_agg(rolname, ',') FROM pg_roles "
            "WHERE pg_has_role(%s, oid, 'MEMBER') AND rolname <> %s",
            [APP_ROLE, APP_ROLE],
        )
        assert cursor.fetchone()[0] is None  # a member of no role (SET ROLE leads nowhere)
    assert refusal("CREATE TABLE fq_extra (id integer)") == "42501"


def test_no_guard_reads_a_setting_a_session_can_set():
    """Triggers and row-level policies read no setting: ``SET fq.anything = …`` (any
    session may set a custom setting) changes nothing the database enforces."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT p.proname FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
             WHERE NOT t.tgisinternal
               AND (p.prosrc ILIKE '%%current_setting%%' OR p.prosrc ILIKE '%%set_config%%'
                    OR p.prosrc ILIKE '%%pg_settings%%')
            """
        )
        assert cursor.fetchall() == []
        cursor.execute(
            """
            SELECT polname FROM pg_policy
             WHERE pg_get_expr(polqual, polrelid) ILIKE '%%current_setting%%'
                OR pg_get_expr(polwithcheck, polrelid) ILIKE '%%current_setting%%'
            """
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND NOT t.tgisinternal"
        )
        assert cursor.fetchone()[0] > 20  # the guards are there to be read
