"""The bilan: the carrier reports after the action; an instructor accepts it, what the
grant did not pay is released to the fund, and the dossier is closed."""

from contextlib import ExitStack

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import DomainError, PermissionDenied
from accounts.text import control_characters_message, has_control_characters
from fonds.ledger import ledger_release
from fonds.models import Initiative, Report, ReportDocument
from fonds.money import parse_amount
from fonds.notifications import notify_author, notify_instructors
from fonds.predicates import is_author, is_instructor_for
from fonds.uploads import checked_pdf, checked_photo

from .initiatives import _stored

MAX_FILES = 10
MAX_NARRATIVE = 10_000


def _clean_report(narrative, participants, actual_expenses, receipts, photos):
    errors = {}
    narrative = (narrative or "").strip()
    if not narrative:
        errors["narrative"] = [_("Racontez ce qui s'est passé.")]
    elif len(narrative) > MAX_NARRATIVE:
        errors["narrative"] = [_("%(n)d caractères au plus.") % {"n": MAX_NARRATIVE}]
    elif has_control_characters(narrative, multiline=True):
        errors["narrative"] = [control_characters_message(multiline=True)]
    if not isinstance(participants, int) or not 0 <= participants <= 100_000:
        errors["participants"] = [_("Indiquez un nombre entre 0 et 100 000.")]
    try:
        amount = parse_amount(actual_expenses, field=_("Le montant des dépenses"))
    except DomainError as error:
        errors["actual_expenses"] = [error.message]
        amount = None
    if not receipts:
        errors["receipts"] = [_("Joignez au moins un justificatif de dépense (PDF).")]
    if len(receipts) > MAX_FILES or len(photos) > MAX_FILES:
        errors["receipts"] = [_("%(n)d fichiers au plus.") % {"n": MAX_FILES}]
    if errors:
        raise DomainError(_("Le bilan est à compléter."), errors=errors)
    return narrative, amount


def report_submit(
    *, actor, initiative, narrative, participants, actual_expenses, receipts=(), photos=()
):
    """The author files the bilan of a granted initiative: what happened, participants,
    actual expenses with receipts (PDF) and photos."""
    if not is_author(actor, initiative):
        raise PermissionDenied()
    receipts, photos = list(receipts), list(photos)
    narrative, amount = _clean_report(narrative, participants, actual_expenses, receipts, photos)
    files = [(ReportDocument.Kind.RECEIPT, checked_pdf(f)) for f in receipts]
    files += [(ReportDocument.Kind.PHOTO, checked_photo(f)) for f in photos]
    with ExitStack() as stack:
        names = [
            (kind, stack.enter_context(_stored(content, "bilans")), content.size)
            for kind, content in files
        ]
        with transaction.atomic():
            locked = Initiative.objects.select_for_update(of=("self",)).get(pk=initiative.pk)
            if locked.status != Initiative.Status.GRANTED:
                raise DomainError(_("Le bilan se dépose pour une initiative subventionnée."))
            if Report.objects.filter(initiative=locked).exists():
                raise DomainError(_("Le bilan est déjà déposé."), code="duplicate")
            report = Report.objects.create(
                initiative=locked,
                narrative=narrative,
                participants=participants,
                actual_expenses=amount,
            )
            ReportDocument.objects.bulk_create(
                ReportDocument(report=report, kind=kind, file=name, size=size)
                for kind, name, size in names
            )
            audit_record(
                actor=actor,
                action="fonds.report.submit",
                target=locked,
                data={"expenses": str(amount), "participants": participants, "files": len(names)},
            )
            notify_instructors(
                locked, "report_filed", path=reverse("report_review", args=[locked.pk])
            )
    return report


def report_accept(*, actor, report):
    """An instructor of the quartier (never the author) accepts the bilan: whatever the
    grant has not paid is released to the fund, and the dossier is closed."""
    initiative = report.initiative
    if not is_instructor_for(actor, initiative):
        raise PermissionDenied()
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.status != Report.Status.SUBMITTED:
            raise DomainError(_("Ce bilan est déjà accepté."))
        locked = Initiative.objects.select_for_update(of=("self",)).get(pk=initiative.pk)
        if locked.status != Initiative.Status.GRANTED:
            raise DomainError(_("Ce dossier n'attend pas de bilan."))
        released = []
        for grant in locked.grants.select_related("account", "fund"):
            if grant.account.balance > 0:
                tx = ledger_release(
                    actor=actor,
                    grant=grant,
                    amount=grant.account.balance,
                    memo=_("Bilan accepté : montant non versé libéré"),
                    idempotency_key=f"report-{report.pk}-grant-{grant.pk}",
                )
                released.append(str(tx.amount))
        report.status = Report.Status.ACCEPTED
        report.accepted_at, report.accepted_by = timezone.now(), actor
        report.save(update_fields=["status", "accepted_at", "accepted_by"])
        locked.status = Initiative.Status.CLOSED
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor, action="fonds.report.accept", target=locked, data={"released": released}
        )
        notify_author(locked, "closed")
    initiative.status = Initiative.Status.CLOSED
    return report
