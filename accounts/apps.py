from django.apps import AppConfig, apps
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes")

    def ready(self):
        from .ids import register_converters
        from .search import register_sqlite_functions

        register_converters()
        connection_created.connect(register_sqlite_functions, dispatch_uid="accounts-unaccent")
        post_migrate.connect(_grant_application_role, dispatch_uid="accounts-app-role")


def _grant_application_role(sender, using="default", **kwargs):
    """After `migrate`, once every app is migrated, give the application's role its
    rights on the tables as they now are (new tables start with none)."""
    from django.conf import settings
    from django.db import connections

    from .dbroles import grant_application_role

    last = [config for config in apps.get_app_configs() if config.models_module][-1]
    connection = connections[using]
    role = settings.DATABASE_APP_ROLE
    if sender.name != last.name or not role or connection.vendor != "postgresql":
        return
    if connection.settings_dict.get("USER") == role:
        return
    grant_application_role(role, connection)
