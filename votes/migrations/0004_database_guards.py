from django.db import migrations

from accounts.dbutils import no_truncate


class Migration(migrations.Migration):
    """Published decisions are guarded row by row; TRUNCATE (… CASCADE) is refused too."""

    dependencies = [
        ("votes", "0003_rights_from_mandates"),
        ("accounts", "0005_database_guards"),
    ]

    operations = [no_truncate("votes_decision")]
