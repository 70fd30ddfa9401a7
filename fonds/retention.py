"""How long the files and drafts of dossiers are kept, and their removal once that time
has passed (run daily by ``manage.py retention``).

* A draft nobody changed for ``DRAFT_RETENTION_YEARS`` is deleted with its budget,
  its files and its history: it was never sent, so it is no record of anything.
* A closed dossier (withdrawn, inadmissible, refused, or closed after its bilan) keeps
  its row, its decision and its ledger for good; its files (attachments, photo, the
  bilan's receipts and photos) are deleted ``settings.FQ_DOCUMENT_RETENTION_YEARS``
  after it reached that status — the time the accounting rules keep supporting
  documents.

``retention_run`` does every purge of the project in one transaction, with one audit
row. Each purge runs inside the caller's transaction and deletes files only once it
commits, so a rolled-back run leaves every file in place; a second run finds nothing
left to do."""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils import timezone

from accounts import retention as traces
from accounts.audit import audit_record
from accounts.errors import PermissionDenied
from accounts.models import AuditEntry
from accounts.privacy import exports_purge_expired
from accounts.system import is_system
from fonds.models import Attachment, BudgetLine, Initiative, ReportDocument, Support

DRAFT_RETENTION_YEARS = 2
CLOSED_STATUSES = (
    Initiative.Status.WITHDRAWN,
    Initiative.Status.INADMISSIBLE,
    Initiative.Status.REFUSED,
    Initiative.Status.CLOSED,
)


def document_retention_years():
    return int(settings.FQ_DOCUMENT_RETENTION_YEARS)


def years_before(moment, years):
    """``moment`` moved back by whole calendar years (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


@dataclass
class Purge:
    """What a purge removed (or, in a dry run, would remove)."""

    initiatives: list = field(default_factory=list)
    files: list = field(default_factory=list)


def _last_change():
    """The last time anyone touched a dossier: its row, an attachment added, or any
    action its audit log records (budget, photo, detachment…)."""
    last_audit = (
        AuditEntry.objects.filter(
            target_type=Initiative._meta.label_lower,
            target_id=Cast(OuterRef("pk"), output_field=CharField()),
        )
        .order_by()
        .values("target_id")
        .annotate(last=Max("created_at"))
        .values("last")
    )
    return Greatest(
        "updated_at",
        Coalesce(Max("attachments__created_at"), "updated_at"),
        Coalesce(Subquery(last_audit), "updated_at"),
    )


def abandoned_drafts(now=None):
    """Drafts with no change for ``DRAFT_RETENTION_YEARS`` years."""
    cutoff = years_before(now or timezone.now(), DRAFT_RETENTION_YEARS)
    return (
        Initiative.objects.filter(status=Initiative.Status.DRAFT)
        .annotate(last_change=_last_change())
        .filter(last_change__lt=cutoff)
        .order_by("pk")
    )


def _files_of_draft(initiative):
    names = [initiative.photo.name] if initiative.photo else []
    names += list(initiative.attachments.values_list("file", flat=True))
    return names


def purge_abandoned_drafts(*, now=None, dry_run=False):
    """Delete the abandoned drafts, their budget lines, attachments and history rows,
    and (after commit) their files."""
    purge = Purge()
    drafts = list(abandoned_drafts(now))
    for draft in drafts:
        purge.initiatives.append(draft.pk)
        purge.files += _files_of_draft(draft)
    if dry_run or not drafts:
        return purge
    ids = purge.initiatives
    with transaction.atomic():
        Initiative.objects.filter(pk__in=ids, status=Initiative.Status.DRAFT).delete()
        # The rows Django's cascade and simple-history just wrote go too: a draft
        # nobody sent keeps no trace of its content.
        Initiative.history.filter(id__in=ids).delete()
        for model in (BudgetLine, Attachment, Support):
            model.history.filter(initiative_id__in=ids).delete()
        _delete_files_on_commit(purge.files)
    return purge


def _closed_at():
    """When a closed dossier reached its status: the first history row that shows it
    (those statuses are final), else the row's last change."""
    entered = (
        Initiative.history.filter(id=OuterRef("pk"), status=OuterRef("status"))
        .order_by("history_date")
        .values("history_date")[:1]
    )
    return Coalesce(Subquery(entered), "updated_at")


def closed_dossiers_past_retention(now=None):
    """Closed dossiers whose retention period has ended and which still hold files."""
    cutoff = years_before(now or timezone.now(), document_retention_years())
    has_files = (
        ~Q(photo="")
        | Exists(Attachment.objects.filter(initiative=OuterRef("pk")))
        | Exists(ReportDocument.objects.filter(report__initiative=OuterRef("pk")))
    )
    return (
        Initiative.objects.filter(status__in=CLOSED_STATUSES)
        .filter(has_files)
        .annotate(closed_at=_closed_at())
        .filter(closed_at__lt=cutoff)
        .order_by("pk")
    )


def purge_closed_dossier_documents(*, now=None, dry_run=False):
    """Delete the files of closed dossiers past their retention period (attachments,
    photo, the bilan's documents). The dossier, its bilan's figures, its decision and
    its ledger stay."""
    purge = Purge()
    dossiers = list(closed_dossiers_past_retention(now))
    if not dossiers:
        return purge
    ids = [dossier.pk for dossier in dossiers]
    attachments = Attachment.objects.filter(initiative_id__in=ids)
    documents = ReportDocument.objects.filter(report__initiative_id__in=ids)
    purge.initiatives = ids
    purge.files = [d.photo.name for d in dossiers if d.photo]
    purge.files += list(attachments.values_list("file", flat=True))
    purge.files += list(documents.values_list("file", flat=True))
    if dry_run:
        return purge
    with transaction.atomic():
        attachments.delete()
        documents.delete()
        # A queryset update: the row keeps its last change date and writes no history.
        Initiative.objects.filter(pk__in=ids).exclude(photo="").update(photo="")
        _delete_files_on_commit(purge.files)
    return purge


def _delete_files_on_commit(names):
    from fonds.storage import private_storage

    def delete():
        storage = private_storage()
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete)


class RetentionRun:
    """What the audit row of a run points at: the retention policy itself (target type
    ``fonds.retention``), by the day it ran."""

    class _meta:
        label_lower = "fonds.retention"

    def __init__(self, moment):
        self.pk = timezone.localdate(moment).isoformat()


def retention_run(*, actor, now=None, dry_run=False):
    """Remove everything whose retention period has ended: abandoned drafts, files of
    closed dossiers, old IP addresses, expired sessions, old task results and expired
    « Mes données » exports. One transaction and one audit row per run (none in a dry
    run, which only counts); files go once it commits. The system only."""
    if not is_system(actor):
        raise PermissionDenied()
    now = now or timezone.now()
    with transaction.atomic():
        drafts = purge_abandoned_drafts(now=now, dry_run=dry_run)
        documents = purge_closed_dossier_documents(now=now, dry_run=dry_run)
        counts = {
            "drafts": len(drafts.initiatives),
            "draft_files": len(drafts.files),
            "dossiers": len(documents.initiatives),
            "dossier_files": len(documents.files),
            "ip_addresses": sum(traces.purge_ip_addresses(now=now, dry_run=dry_run).values()),
            "sessions": traces.purge_expired_sessions(now=now, dry_run=dry_run),
            "task_results": traces.purge_task_results(now=now, dry_run=dry_run),
            "exports": exports_purge_expired(now=now, dry_run=dry_run),
        }
        if not dry_run:
            audit_record(
                actor=actor,
                action="fonds.retention.run",
                target=RetentionRun(now),
                data={
                    **counts,
                    "draft_ids": drafts.initiatives,
                    "dossier_ids": documents.initiatives,
                    "document_retention_years": document_retention_years(),
                },
            )
    return counts
