"""The suite's PostgreSQL tests run with the application connected as its restricted
role, as in production: the owner (the server's superuser here) creates the test
database and runs the migrations; the application's role then gets exactly its rights
(accounts.dbroles) and every test connection uses it.

What only the owner may do — emptying the tables between transactional tests, or
tampering with a row to show that `ledger verify` finds it — goes through
``as_owner``: a function the owner creates in the test database alone (never by a
migration), which runs one statement with the owner's rights and the protected tables'
triggers asleep (session_replication_role, which only a superuser may set)."""

import os

import psycopg
from django.db import connection, connections

APP_ROLE = os.environ.get("TEST_DATABASE_APP_ROLE", "fq_test_app")

OWNER_FUNCTION = """
CREATE OR REPLACE FUNCTION fq_test_as_owner(statement text, asleep boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF asleep THEN
        SET LOCAL session_replication_role = replica;
    END IF;
    EXECUTE statement;
    SET LOCAL session_replication_role = origin;
END;
$$;
REVOKE ALL ON FUNCTION fq_test_as_owner(text, boolean) FROM PUBLIC;
"""


def restrict_to_application_role():
    """As the owner, create the application's role if needed, grant it its rights and
    the owner's test function, then make every connection use it. Returns the owner's
    credentials, to switch back before the test database is dropped."""
    from accounts.dbroles import grant_application_role, role_problems

    settings_dict = connection.settings_dict
    owner = {key: settings_dict.get(key, "") for key in ("USER", "PASSWORD")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [APP_ROLE])
        if cursor.fetchone() is None:
            try:
                cursor.execute(f'CREATE ROLE "{APP_ROLE}" LOGIN')
            except psycopg.errors.DuplicateObject:  # another suite created it meanwhile
                pass
        cursor.execute(f'GRANT CONNECT ON DATABASE "{settings_dict["NAME"]}" TO "{APP_ROLE}"')
        cursor.execute(OWNER_FUNCTION)
        cursor.execute(f'GRANT EXECUTE ON FUNCTION fq_test_as_owner(text, boolean) TO "{APP_ROLE}"')
    grant_application_role(APP_ROLE, connection)
    problems = role_problems(APP_ROLE, connection)
    assert not problems, problems
    use_credentials({"USER": APP_ROLE, "PASSWORD": ""})
    return owner


def use_credentials(credentials):
    for alias in connections:
        connections[alias].close()
        connections[alias].settings_dict.update(credentials)


def as_owner(statement, params=None, *, triggers=False, using=None):
    """Run ``statement`` (with %s ``params``) with the owner's rights, inside the
    current transaction: with the protected tables' triggers asleep, unless
    ``triggers`` (to show that they refuse the owner too)."""
    conn = connections[using] if using else connection
    conn.ensure_connection()
    if params is not None:
        statement = psycopg.ClientCursor(conn.connection).mogrify(statement, params)
    with conn.cursor() as cursor:
        # First the checks the transaction deferred, on the rows as they were written.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SELECT fq_test_as_owner(%s, %s)", [statement, not triggers])


def execute_sql_flush_as_owner(self, sql_list):
    """Empty the tables as the owner: the application's role may not TRUNCATE."""
    from django.db import transaction

    with transaction.atomic(using=self.connection.alias, savepoint=False):
        for statement in sql_list:
            as_owner(statement, using=self.connection.alias)
