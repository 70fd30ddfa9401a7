"""Search ignores accents and case on PostgreSQL: the ``unaccent`` extension (initiatives
are matched through it, see accounts/search.py) and ``fq_french``, a French text search
configuration that removes accents before stemming, which the pages' search index uses
(WAGTAILSEARCH_BACKENDS). SQLite needs neither: its full-text index already ignores
accents, and the initiatives' search registers its own ``unaccent``.

After this migration, ``manage.py update_index`` rebuilds the pages' index with it."""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

CONFIGURATION = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = 'fq_french') THEN
        CREATE TEXT SEARCH CONFIGURATION fq_french (COPY = pg_catalog.french);
        ALTER TEXT SEARCH CONFIGURATION fq_french
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END
$$;
"""


def create_configuration(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CONFIGURATION)


def drop_configuration(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS fq_french")


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_site_pages_and_colours"),
    ]

    operations = [
        UnaccentExtension(),
        migrations.RunPython(create_configuration, drop_configuration),
    ]
