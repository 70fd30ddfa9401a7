"""How long the traces of use are kept — addresses, sessions, task results — and their
removal once that time has passed (run daily by ``manage.py retention``).

IP addresses are kept ``IP_RETENTION_DAYS`` at most. Each table that stores one is
listed in ``IP_ADDRESS_COLUMNS`` with the date that ages it and what happens to an old
address: cleared (the row stays) or the row deleted (a record of a session, say, has
no purpose without its address). A test fails when a model has an IP address field
that is not listed. Tables an app of the project does not install are skipped."""

import datetime
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

IP_RETENTION_DAYS = 365
TASK_RESULT_RETENTION_DAYS = 30

CLEAR, DELETE = "clear", "delete"
DATABASE_SESSION_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}


@dataclass(frozen=True)
class IpColumn:
    model: object  # "app_label.ModelName", or the model class
    field: str
    aged_by: str  # the date field an address's age is counted from
    then: str = CLEAR  # CLEAR the address, or DELETE the row

    def resolve(self):
        """The model, or None when its app is not installed."""
        if not isinstance(self.model, str):
            return self.model
        try:
            return apps.get_model(self.model)
        except LookupError:
            return None


IP_ADDRESS_COLUMNS = (
    # allauth's record of each signed-in session (address, browser), if installed.
    IpColumn("usersessions.UserSession", "ip", "last_seen_at", DELETE),
)


def ip_address_fields():
    """(model, field name) of every IP address field of the installed models."""
    return [
        (model, field.name)
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.concrete_fields
        if isinstance(field, models.GenericIPAddressField)
    ]


def purge_ip_addresses(*, now=None, dry_run=False):
    """Clear (or delete the rows of) the IP addresses older than ``IP_RETENTION_DAYS``;
    returns how many went, by table."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=IP_RETENTION_DAYS)
    removed = {}
    for column in IP_ADDRESS_COLUMNS:
        model = column.resolve()
        if model is None:
            continue
        old = model._default_manager.filter(**{f"{column.aged_by}__lt": cutoff})
        if column.then == CLEAR:
            old = old.exclude(**{f"{column.field}__isnull": True})
        count = old.count()
        if count and not dry_run:
            with transaction.atomic():
                if column.then == DELETE:
                    old.delete()
                else:
                    old.update(**{column.field: None})
        removed[model._meta.label_lower] = count
    return removed


def purge_expired_sessions(*, now=None, dry_run=False):
    """Delete the sessions past their expiry date (``SESSION_COOKIE_AGE`` after the last
    request): they hold who was signed in, and serve no one any more."""
    if settings.SESSION_ENGINE not in DATABASE_SESSION_ENGINES:
        return 0  # sessions kept in the cache or in cookies expire there by themselves
    from django.contrib.sessions.models import Session

    expired = Session.objects.filter(expire_date__lt=now or timezone.now())
    count = expired.count()
    if count and not dry_run:
        expired.delete()
    return count


def purge_task_results(*, now=None, dry_run=False):
    """Delete the results of background tasks (emails sent, exports built) finished
    more than ``TASK_RESULT_RETENTION_DAYS`` ago: their arguments name the dossiers and
    people they were about."""
    if not apps.is_installed("django_tasks_db"):
        return 0
    from django_tasks_db.models import DBTaskResult

    cutoff = (now or timezone.now()) - datetime.timedelta(days=TASK_RESULT_RETENTION_DAYS)
    old = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff)
    count = old.count()
    if count and not dry_run:
        old.delete()
    return count
