"""The demo commune, built once per test process and put back by copying rows.

Building the demo plays a year of the commune through the services (about 9,000
statements). Many modules and every browser journey start from it, so on PostgreSQL the
first build is copied, table by table, into a schema of its own (``fq_demo``), with the
media files it wrote; later tests get it back with one ``INSERT … SELECT`` per table, the
owner's rights and the protected tables' triggers asleep (the rows were checked when the
services wrote them). Elsewhere (SQLite), the demo is built each time.

The restore works inside a transaction (a module's demo, rolled back when the module ends)
as well as in autocommit (browser tests, whose tables are emptied when each ends)."""

import copy
import shutil

from django.core.management.color import no_style
from django.db import connection

from .dbowner import as_owner

SCHEMA = "fq_demo"
BASELINE = "fq_baseline"


def _quoted(name):
    return connection.ops.quote_name(name)


class TableCopy:
    """Every table the application has, copied into a schema of its own with the columns
    one may write (not the generated ones); ``restore`` puts them back."""

    def __init__(self, schema, tables, columns, sequences):
        self.schema = schema
        self.tables = tables
        self.columns = columns
        self.sequences = sequences

    @classmethod
    def take(cls, schema):
        tables = sorted(connection.introspection.django_table_names(only_existing=True))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND is_generated = 'NEVER' "
                "ORDER BY table_name, ordinal_position"
            )
            rows = cursor.fetchall()
        columns = {}
        for table, column in rows:
            columns.setdefault(table, []).append(column)
        as_owner(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        as_owner(f"CREATE SCHEMA {schema}")
        for table in tables:
            names = ", ".join(_quoted(column) for column in columns[table])
            as_owner(
                f"CREATE TABLE {schema}.{_quoted(table)} AS "
                f"SELECT {names} FROM public.{_quoted(table)}"
            )
        return cls(schema, tables, columns, _sequences(tables))

    def restore(self):
        """Empties the application's tables and puts the copied rows back. Each sequence
        then stands past its table's largest id and never goes back: sequences are not
        transactional, and rows written before a rolled-back restore may have taken ids
        beyond the copy's (the pages a transactional test's flush writes again)."""
        from django.contrib.contenttypes.models import ContentType

        for statement in connection.ops.sql_flush(
            no_style(), self.tables, reset_sequences=False, allow_cascade=True
        ):
            as_owner(statement)
        for table in self.tables:
            names = ", ".join(_quoted(column) for column in self.columns[table])
            as_owner(
                f"INSERT INTO public.{_quoted(table)} ({names}) OVERRIDING SYSTEM VALUE "
                f"SELECT {names} FROM {self.schema}.{_quoted(table)}"
            )
        for table, column, sequence in self.sequences:
            as_owner(
                f"SELECT setval('{sequence}', GREATEST("
                f"(SELECT COALESCE(MAX({_quoted(column)}), 0) FROM public.{_quoted(table)}), "
                f"COALESCE(pg_sequence_last_value('{sequence}'), 0), 1))"
            )
        ContentType.objects.clear_cache()


class DemoSnapshot:
    """The demo's rows (a ``TableCopy``), its media files and the data ``build_demo``
    returned."""

    def __init__(self, data, rows, media, private):
        self.data = data
        self.rows = rows
        self.media = media
        self.private = private

    @classmethod
    def take(cls, data, media, private):
        return cls(data, TableCopy.take(SCHEMA), media, private)

    def restore(self, media, private):
        """Puts the demo back, sequences included; copies its media files into ``media``
        and ``private``."""
        self.rows.restore()
        shutil.copytree(self.media, media, dirs_exist_ok=True)
        shutil.copytree(self.private, private, dirs_exist_ok=True)
        # Each test its own instances: what one changes in memory stays with it.
        return copy.deepcopy(self.data)


def _sequences(tables):
    """(table, column, sequence) for every column of ``tables`` a sequence numbers."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, a.attname, quote_ident(n.nspname) || '.' || quote_ident(s.relname) "
            "FROM pg_depend d "
            "JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S' "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = 'public' AND d.deptype IN ('a', 'i')"
        )
        rows = cursor.fetchall()
    wanted = set(tables)
    return sorted(row for row in rows if row[0] in wanted)
