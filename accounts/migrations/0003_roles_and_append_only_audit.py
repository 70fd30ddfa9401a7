from django.db import migrations

from accounts.dbutils import append_only
from accounts.roles import Role, group_for_role


def create_groups(apps, schema_editor):
    for role in Role:
        group_for_role(
            role,
            group_model=apps.get_model("auth", "Group"),
            permission_model=apps.get_model("auth", "Permission"),
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [
        migrations.RunPython(create_groups, migrations.RunPython.noop),
        append_only("accounts_auditentry"),
    ]
