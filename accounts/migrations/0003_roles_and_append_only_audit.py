from django.db import migrations

from accounts.dbutils import append_only

GROUPS = {
    "Habitants": [],
    "Agents instructeurs": ["wagtailadmin.access_admin"],
    "Membres de conseil": [],
    "Maires de quartier": [],
    "Administrateurs": ["wagtailadmin.access_admin"],
}


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission:
                group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [
        migrations.RunPython(create_groups, migrations.RunPython.noop),
        append_only("accounts_auditentry"),
    ]
