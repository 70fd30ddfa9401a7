"""The bilan: the carrier reports after the action; an instructor accepts it (what the
grant did not pay is released to the fund, and the dossier is closed), asks the carrier to
complete it, or refuses it (nothing is released until a decision says so)."""

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
MAX_SUMMARY = 1_000
MAX_REVIEW_REASON = 2_000
MAX_HIDDEN_REASON = 300

Status = Report.Status


def _clean_text(errors, name, value, *, maximum, required_message=None):
    value = (value or "").strip()
    if not value and required_message:
        errors[name] = [required_message]
    elif len(value) > maximum:
        errors[name] = [_("%(n)d caractères au plus.") % {"n": maximum}]
    elif has_control_characters(value, multiline=True):
        errors[name] = [control_characters_message(multiline=True)]
    return value


def _clean_report(
    narrative, participants, actual_expenses, receipts, photos, public_summary, *, first=True
):
    errors = {}
    narrative = _clean_text(
        errors,
        "narrative",
        narrative,
        maximum=MAX_NARRATIVE,
        required_message=_("Racontez ce qui s'est passé."),
    )
    public_summary = _clean_text(errors, "public_summary", public_summary, maximum=MAX_SUMMARY)
    if not isinstance(participants, int) or not 0 <= participants <= 100_000:
        errors["participants"] = [_("Indiquez un nombre entre 0 et 100 000.")]
    try:
        amount = parse_amount(actual_expenses, field=_("Le montant des dépenses"))
    except DomainError as error:
        errors["actual_expenses"] = [error.message]
        amount = None
    if first and not receipts:
        errors["receipts"] = [_("Joignez au moins un justificatif de dépense (PDF).")]
    if len(receipts) > MAX_FILES or len(photos) > MAX_FILES:
        errors["receipts"] = [_("%(n)d fichiers au plus.") % {"n": MAX_FILES}]
    if errors:
        raise DomainError(_("Le bilan est à compléter."), errors=errors)
    return narrative, amount, public_summary


def _checked_files(receipts, photos):
    files = [(ReportDocument.Kind.RECEIPT, checked_pdf(f)) for f in receipts]
    files += [(ReportDocument.Kind.PHOTO, checked_photo(f)) for f in photos]
    return files


def report_submit(
    *,
    actor,
    initiative,
    narrative,
    participants,
    actual_expenses,
    receipts=(),
    photos=(),
    public_summary="",
    photos_consent=False,
    host_signatory="",
):
    """The author files the bilan of a granted initiative: what happened, participants,
    actual expenses with receipts (PDF) and photos, a summary for the public page and
    whether the people on the photos agreed to their publication."""
    if not is_author(actor, initiative):
        raise PermissionDenied()
    receipts, photos = list(receipts), list(photos)
    narrative, amount, public_summary = _clean_report(
        narrative, participants, actual_expenses, receipts, photos, public_summary
    )
    host_signatory = _signatory(initiative, host_signatory)
    files = _checked_files(receipts, photos)
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
                public_summary=public_summary,
                photos_consent=bool(photos_consent),
                host_signatory=host_signatory,
                participants=participants,
                actual_expenses=amount,
            )
            _filed(actor, report, locked, names, action="fonds.report.submit", kind="report_filed")
    return report


def _signatory(initiative, signatory):
    """Who signs the bilan for the host association, required when there is one."""
    errors = {}
    signatory = _clean_text(
        errors,
        "host_signatory",
        signatory,
        maximum=200,
        required_message=_(
            "L'association hôte signe le bilan : indiquez qui la représente (nom et qualité)."
        )
        if initiative.host_name
        else None,
    )
    if errors:
        raise DomainError(errors["host_signatory"][0], errors=errors)
    return signatory if initiative.host_name else ""


def _filed(actor, report, initiative, names, *, action, kind):
    """What filing or completing a bilan writes besides the report: its new files, the
    audit entry, and the instructors' notification."""
    ReportDocument.objects.bulk_create(
        ReportDocument(report=report, kind=kind_, file=name, size=size)
        for kind_, name, size in names
    )
    audit_record(
        actor=actor,
        action=action,
        target=initiative,
        data={
            "expenses": str(report.actual_expenses),
            "participants": report.participants,
            "files": len(names),
        },
    )
    notify_instructors(
        initiative, kind, path=reverse("fonds_backoffice_report", args=[initiative.pk])
    )


def report_accept(*, actor, report):
    """An instructor of the quartier (never the author) accepts the bilan: whatever the
    grant has not paid is released to the fund, and the dossier is closed."""
    initiative = report.initiative
    if not is_instructor_for(actor, initiative):
        raise PermissionDenied()
    with transaction.atomic():
        report, locked = _locked_for_review(report, initiative)
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
        report.status = Status.ACCEPTED
        report.accepted_at, report.accepted_by = timezone.now(), actor
        report.reviewed_at = report.accepted_at
        report.save(update_fields=["status", "accepted_at", "accepted_by", "reviewed_at"])
        locked.status = Initiative.Status.CLOSED
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor, action="fonds.report.accept", target=locked, data={"released": released}
        )
        notify_author(locked, "closed")
    initiative.status = Initiative.Status.CLOSED
    return report


def _locked_for_review(report, initiative):
    """The bilan and its dossier, locked, if the bilan waits for an instructor."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if report.status != Status.SUBMITTED:
        messages = {
            Status.ACCEPTED: _("Ce bilan est déjà accepté."),
            Status.REFUSED: _("Ce bilan est déjà refusé."),
            Status.COMPLETION_ASKED: _(
                "Des compléments sont déjà demandés : le porteur doit d'abord compléter son bilan."
            ),
        }
        raise DomainError(messages.get(report.status, _("Ce bilan n'attend pas d'examen.")))
    locked = Initiative.objects.select_for_update(of=("self",)).get(pk=initiative.pk)
    if locked.status != Initiative.Status.GRANTED:
        raise DomainError(_("Ce dossier n'attend pas de bilan."))
    return report, locked


def _review_reason(reason, required_message):
    errors = {}
    reason = _clean_text(
        errors, "reason", reason, maximum=MAX_REVIEW_REASON, required_message=required_message
    )
    if errors:
        raise DomainError(errors["reason"][0], errors=errors)
    return reason


def _review(*, actor, report, reason, status, action, event, required_message):
    initiative = report.initiative
    if not is_instructor_for(actor, initiative):
        raise PermissionDenied()
    reason = _review_reason(reason, required_message)
    with transaction.atomic():
        report, locked = _locked_for_review(report, initiative)
        report.status = status
        report.review_reason = reason
        report.reviewed_at = timezone.now()
        report.save(update_fields=["status", "review_reason", "reviewed_at"])
        audit_record(actor=actor, action=action, target=locked, data={"reason": reason})
        notify_author(locked, event, reason=reason)
    return report


def report_ask_completion(*, actor, report, reason):
    """An instructor asks the carrier to complete the bilan, saying what is missing; the
    carrier completes it from « Mon espace »."""
    return _review(
        actor=actor,
        report=report,
        reason=reason,
        status=Status.COMPLETION_ASKED,
        action="fonds.report.ask_completion",
        event="report_completion_asked",
        required_message=_("Dites au porteur ce qui manque à son bilan."),
    )


def report_refuse(*, actor, report, reason):
    """An instructor refuses the bilan, with the reason. Nothing is released: the money
    still committed waits for a decision."""
    return _review(
        actor=actor,
        report=report,
        reason=reason,
        status=Status.REFUSED,
        action="fonds.report.refuse",
        event="report_refused",
        required_message=_("Indiquez le motif du refus : le porteur le lira."),
    )


def report_complete(
    *,
    actor,
    report,
    narrative,
    participants,
    actual_expenses,
    receipts=(),
    photos=(),
    public_summary="",
    photos_consent=False,
    host_signatory="",
):
    """The carrier completes a bilan an instructor asked more of: the text and figures
    are replaced, new files are added to the earlier ones, and the bilan waits for the
    instructors again."""
    initiative = report.initiative
    if not is_author(actor, initiative):
        raise PermissionDenied()
    receipts, photos = list(receipts), list(photos)
    narrative, amount, public_summary = _clean_report(
        narrative, participants, actual_expenses, receipts, photos, public_summary, first=False
    )
    host_signatory = _signatory(initiative, host_signatory)
    files = _checked_files(receipts, photos)
    with ExitStack() as stack:
        names = [
            (kind, stack.enter_context(_stored(content, "bilans")), content.size)
            for kind, content in files
        ]
        with transaction.atomic():
            locked_report = Report.objects.select_for_update().get(pk=report.pk)
            if locked_report.status != Status.COMPLETION_ASKED:
                raise DomainError(_("Ce bilan n'attend pas de compléments."))
            if locked_report.documents.count() + len(names) > 2 * MAX_FILES:
                raise DomainError(
                    _("%(n)d fichiers au plus.") % {"n": 2 * MAX_FILES},
                    errors={"receipts": [_("%(n)d fichiers au plus.") % {"n": 2 * MAX_FILES}]},
                )
            locked_report.narrative = narrative
            locked_report.public_summary = public_summary
            locked_report.photos_consent = bool(photos_consent)
            locked_report.host_signatory = host_signatory
            locked_report.participants = participants
            locked_report.actual_expenses = amount
            locked_report.status = Status.SUBMITTED
            locked_report.save()
            _filed(
                actor,
                locked_report,
                initiative,
                names,
                action="fonds.report.complete",
                kind="report_completed",
            )
    return locked_report


def report_hide_photo(*, actor, document, reason):
    """An instructor takes a photo of the bilan off the public page, with the reason."""
    initiative = document.report.initiative
    if not is_instructor_for(actor, initiative):
        raise PermissionDenied()
    if document.kind != ReportDocument.Kind.PHOTO:
        raise DomainError(_("Seules les photos se masquent."))
    errors = {}
    reason = _clean_text(
        errors,
        "reason",
        reason,
        maximum=MAX_HIDDEN_REASON,
        required_message=_("Indiquez pourquoi la photo est masquée."),
    )
    if errors:
        raise DomainError(errors["reason"][0], errors=errors)
    with transaction.atomic():
        locked = ReportDocument.objects.select_for_update().get(pk=document.pk)
        if locked.hidden_reason:
            raise DomainError(_("Cette photo est déjà masquée."))
        locked.hidden_reason = reason
        locked.save(update_fields=["hidden_reason"])
        audit_record(
            actor=actor,
            action="fonds.report.photo_hidden",
            target=initiative,
            data={"document": locked.pk, "reason": reason},
        )
    return locked
