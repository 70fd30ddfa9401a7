from django.db import migrations

from accounts.dbutils import APPEND_ONLY_FUNCTION, postgres_sql


class Migration(migrations.Migration):
    """The append-only guard no longer reads a setting a session could change."""

    dependencies = [("accounts", "0004_rights_from_mandates")]

    operations = [postgres_sql(APPEND_ONLY_FUNCTION, "SELECT 1")]
