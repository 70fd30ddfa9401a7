"""« Mes données » (RGPD art. 15 and 20) and erasure on request (art. 17).

Each app says what it holds about a person in its own ``personal_data`` module, by
registering a ``PersonalData`` here: what to export, which stored files are the
person's, what stops an erasure for now, what erasure keeps (and until when), and how to
erase the rest. ``accounts`` imports no other app: those modules are found by name, the
way Django's admin finds the ``admin`` modules.

Personal data lives in rows erasure may update — the account, its email addresses,
invitations, the carrier's identity on a dossier. The append-only tables (audit log,
ledger, decisions, casts, participations, history) name a person by id only, so erasure
rewrites none of them: public decisions, the ledger and its hashes stay as they were,
and what they show of a person is read through the pseudonymised account.

An archive is built by a task, stored in the private storage, and downloadable by its
owner only, for ``EXPORT_VALIDITY`` after it is ready; then the link answers 410 and
the file goes (on that request, or by ``exports_purge_expired``, run by the daily
retention command)."""

import datetime
import json
import logging
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _
from django_tasks import task

from .audit import audit_record
from .errors import DomainError, PermissionDenied
from .models import DataExport, User

logger = logging.getLogger(__name__)

EXPORT_VALIDITY = datetime.timedelta(hours=24)
EXPORT_FOLDER = "donnees"
# The module each app declares its personal data in.
MODULE = "personal_data"


# --- the registry ------------------------------------------------------------------------


@dataclass(frozen=True)
class Kept:
    """Something erasure keeps: what, why, and until when — a date, or ``until_text``
    when the end is not known yet ("ten years after the dossier is closed"), or neither
    when it is kept for good (public records)."""

    what: str
    why: str
    until: datetime.date | None = None
    until_text: str = ""


def _nothing(user):
    return []


def _no_erasure(user):
    return {}


@dataclass(frozen=True)
class PersonalData:
    """What one app holds about a person, under ``key`` in the archive.

    * ``export(user)``: the data, JSON-ready (dates and decimals are fine), about that
      person only — another person appears as an id at most, never by name;
    * ``files(user)``: (storage, stored name, path in the archive) of the person's files;
    * ``obstacles(user)``: why erasure cannot happen now, in words for the person;
    * ``kept(user)``: the ``Kept`` items erasure leaves in place;
    * ``erase(user)``: erases the rest, inside the erasure's transaction and before the
      account itself is pseudonymised; returns counts for the audit row (no names).
    """

    key: str
    export: Callable[[User], object]
    files: Callable[[User], Iterable[tuple]] = _nothing
    obstacles: Callable[[User], list] = _nothing
    kept: Callable[[User], list] = _nothing
    erase: Callable[[User], dict] = _no_erasure


_registry: dict[str, PersonalData] = {}
_discovered = False


def personal_data_register(section):
    """Declare what an app holds about people (called from its ``personal_data``
    module)."""
    if section.key in _registry and _registry[section.key] != section:
        raise ValueError(f"Personal data {section.key!r} is already registered.")
    _registry[section.key] = section
    return section


def personal_data_sections():
    """Every registered section, in the order of ``INSTALLED_APPS``."""
    global _discovered
    if not _discovered:
        autodiscover_modules(MODULE)
        _discovered = True
    return list(_registry.values())


# --- « Mes données » ---------------------------------------------------------------------


def export_storage():
    """The private storage (``PRIVATE_MEDIA_ROOT``, never served as such) that holds the
    archives, read when called so that a test's folder is the one used."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT)


def personal_data_document(user):
    """Everything the registered sections hold about ``user``, as one JSON-ready dict."""
    return {
        "site": settings.WAGTAIL_SITE_NAME,
        "generated_at": timezone.now(),
        "person": user.pk,
        "data": {section.key: section.export(user) for section in personal_data_sections()},
    }


def personal_data_files(user):
    """(storage, stored name, path in the archive) of every file of ``user`` that is
    still stored."""
    found = []
    for section in personal_data_sections():
        for storage, name, path in section.files(user):
            if name and storage.exists(name):
                found.append((storage, name, path))
    return found


def data_export_request(*, actor):
    """The person asks for an archive of their data. One at a time: a request while
    one is being built is refused; a new one replaces the previous archive. The
    archive is built by a task once this commits."""
    if not actor.is_authenticated or actor.erased_at is not None:
        raise PermissionDenied()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=actor.pk)
        previous = list(DataExport.objects.filter(user=user))
        if any(export.status == DataExport.Status.PENDING for export in previous):
            raise DomainError(
                _("Votre archive est en cours de préparation : vous recevrez un courriel."),
                code="pending",
            )
        data_exports_delete(previous)
        export = DataExport.objects.create(user=user)
        audit_record(actor=actor, action="accounts.data_export.request", target=user, data={})
        export_id = export.pk
        transaction.on_commit(lambda: data_export_build.enqueue(str(export_id)))
    return export


def data_exports_delete(exports):
    """Delete these archives; their files go once the transaction commits."""
    names = [export.file for export in exports if export.file]
    DataExport.objects.filter(pk__in=[export.pk for export in exports]).delete()
    if names:
        transaction.on_commit(lambda: _delete_files(names))


def _delete_files(names):
    storage = export_storage()
    for name in names:
        storage.delete(name)


@task()
def data_export_build(export_id):
    """Build the archive of a pending request and tell its owner it is ready."""
    export = (
        DataExport.objects.select_related("user")
        .filter(pk=export_id, status=DataExport.Status.PENDING)
        .first()
    )
    if export is None:
        return  # replaced, or the account erased, before the task ran
    try:
        name, size = write_archive(export)
    except Exception:
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.FAILED)
        raise
    now = timezone.now()
    updated = DataExport.objects.filter(pk=export.pk, status=DataExport.Status.PENDING).update(
        status=DataExport.Status.READY,
        file=name,
        size=size,
        ready_at=now,
        expires_at=now + EXPORT_VALIDITY,
    )
    if not updated:
        export_storage().delete(name)
        return
    export.refresh_from_db()
    _send_ready_email(export)


def write_archive(export):
    """Write the zip (``donnees.json``, a short notice, and the person's files) into the
    private storage; returns its stored name and size. Files are copied in chunks, so
    memory does not grow with their size."""
    user = export.user
    files = personal_data_files(user)
    document = personal_data_document(user)
    document["files"] = [path for _storage, _name, path in files]
    with translation.override(user.language or settings.LANGUAGE_CODE):
        notice = render_to_string(
            "accounts/data_export_readme.txt",
            {"user": user, "site_name": settings.WAGTAIL_SITE_NAME, "files": len(files)},
        )
    with tempfile.TemporaryFile() as buffer:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("LISEZMOI.txt", notice)
            archive.writestr(
                "donnees.json",
                json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            )
            for storage, name, path in files:
                with storage.open(name, "rb") as source, archive.open(path, "w") as target:
                    shutil.copyfileobj(source, target, 1 << 16)
        size = buffer.tell()
        buffer.seek(0)
        stored = export_storage().save(f"{EXPORT_FOLDER}/{export.pk}.zip", File(buffer))
    return stored, size


def data_export_url(export):
    return f"{settings.SITE_URL}{reverse('accounts_data_export_download', args=[export.pk])}"


def _send_ready_email(export):
    user = export.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Vos données sont prêtes à être téléchargées")
        body = render_to_string(
            "accounts/email/data_export_ready.txt",
            {
                "name": str(user),
                "link": data_export_url(export),
                "expires_at": timezone.localtime(export.expires_at),
                "site_name": settings.WAGTAIL_SITE_NAME,
            },
        )
    send_mail(subject, body, None, [user.email])


def is_expired(export, now=None):
    return export.status == DataExport.Status.EXPIRED or (
        export.expires_at is not None and (now or timezone.now()) >= export.expires_at
    )


def data_export_expire(export):
    """The archive's period is over: its file goes now, the row says it expired."""
    with transaction.atomic():
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.EXPIRED, file="")
        if export.file:
            name = export.file
            transaction.on_commit(lambda: _delete_files([name]))
    export.status, export.file = DataExport.Status.EXPIRED, ""
    return export


def latest_data_export(user):
    """The person's archive in preparation or still downloadable, if any."""
    export = DataExport.objects.filter(user=user).exclude(status=DataExport.Status.EXPIRED)
    export = export.first()
    if export is not None and export.status == DataExport.Status.READY and is_expired(export):
        return None
    return export


def exports_purge_expired(*, now=None, dry_run=False):
    """Delete the archives past their download period, and the requests that never
    produced one within that period (files once the transaction commits); returns how
    many rows went."""
    now = now or timezone.now()
    old = DataExport.objects.filter(expires_at__lte=now) | DataExport.objects.filter(
        expires_at__isnull=True, requested_at__lte=now - EXPORT_VALIDITY
    )
    old = list(old)
    if old and not dry_run:
        with transaction.atomic():
            data_exports_delete(old)
    return len(old)


# --- erasure -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasurePreview:
    """What an erasure of the person would do now: the reasons it cannot (empty when
    it can) and what it would keep."""

    obstacles: list
    kept: list

    @property
    def possible(self):
        return not self.obstacles


def erasure_preview(user):
    obstacles, kept = [], []
    for section in personal_data_sections():
        obstacles += section.obstacles(user)
        kept += section.kept(user)
    return ErasurePreview(obstacles=obstacles, kept=kept)


def user_erase(*, actor, user):
    """Erase a person's data at their own request (the view has checked their password
    again). Refused, with the reasons, while something listed by ``obstacles`` holds
    (a mandate or a staff role in force…). Every app erases its part, then the account
    is pseudonymised: no address, no name, no password, inactive — so the person is
    signed out everywhere and cannot sign in, and their address may open a new account.
    What the law requires to keep (``kept``) stays, and is returned to be shown. No
    append-only row is written but the audit row of the erasure itself."""
    if not actor.is_authenticated or actor.pk != user.pk:
        raise PermissionDenied()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.erased_at is not None:
            raise DomainError(_("Ce compte est déjà effacé."), code="erased")
        preview = erasure_preview(locked)
        if not preview.possible:
            raise DomainError(" ".join(preview.obstacles), code="obstacle")
        counts = {}
        # The apps above accounts first: they may still act as the person (withdrawing
        # a dossier) before the account is pseudonymised.
        for section in reversed(personal_data_sections()):
            counts[section.key] = section.erase(locked)
        audit_record(
            actor=actor,
            action="accounts.user.erase",
            target=locked,
            data={"erased": counts, "kept": len(preview.kept)},
        )
    return preview.kept


def pseudonymised_email(user):
    """An address that cannot receive mail (the ``.invalid`` domain is reserved) and
    names nobody, unique as the account's address must be."""
    return f"compte-{user.pk}@efface.invalid"
