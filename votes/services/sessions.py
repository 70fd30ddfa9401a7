"""Sessions: planning, attendance and proxies, quorum, opening and closing,
interests, minutes' signature."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from accounts.text import clean_text
from fonds.ledger import available_account
from fonds.models import Fund, Initiative
from fonds.services.council import (
    initiative_take_off_agenda,
)
from votes import rules
from votes.models import Attendance, Interest, Proxy, Session, Vote
from votes.predicates import can_prepare_sessions, is_member_of

from .common import (
    in_office,
    locked_session,
    present_members,
    require_attendance_taker,
    require_session_chair,
    require_status,
    rule_proxies,
)
from .convocations import convocation_update

MAX_PLACE = 200
MAX_NOTE = 300
MAX_SUMMARY = 5000
# A session may be recorded in the meeting room as it begins: its start, typed to the
# minute, is then a little in the past.
PLANNING_GRACE = datetime.timedelta(minutes=15)
PLANNING_HORIZON = datetime.timedelta(days=2 * 366)


def _clean_place(place, *, procedure):
    """One line of at most 200 characters; required for a meeting, optional for a
    written procedure (which has no room)."""
    try:
        place = clean_text(place, max_length=MAX_PLACE, multiline=False, field="place")
    except DomainError as error:
        if error.code == "too_long":
            message = _("Le lieu de la séance tient en %(n)d caractères au plus.")
            raise DomainError(message % {"n": MAX_PLACE}, field="place") from None
        raise DomainError(
            _("Le lieu de la séance tient sur une ligne, sans caractère de contrôle."),
            field="place",
        ) from None
    if not place and procedure == Session.Procedure.MEETING:
        raise DomainError(_("Indiquez le lieu de la séance."), field="place")
    return place


def _as_moment(starts_at):
    if not isinstance(starts_at, datetime.datetime):
        raise DomainError(_("Indiquez la date et l'heure de la séance."), field="starts_at")
    return timezone.make_aware(starts_at) if timezone.is_naive(starts_at) else starts_at


def _clean_start(starts_at):
    """A moment to come (within the grace above), at most two years ahead."""
    starts_at = _as_moment(starts_at)
    now = timezone.now()
    if starts_at < now - PLANNING_GRACE:
        raise DomainError(
            _("Cette date est passée : une séance se planifie à une date à venir."),
            field="starts_at",
            code="past",
        )
    if starts_at > now + PLANNING_HORIZON:
        raise DomainError(
            _("Une séance se planifie au plus deux ans à l'avance."), field="starts_at"
        )
    return starts_at


def session_plan(
    *,
    actor,
    council,
    starts_at,
    place,
    is_public=True,
    procedure=Session.Procedure.MEETING,
    reconvened_from=None,
):
    """Plan a session: a meeting (public, or closed to the public) or a written
    procedure, at a date to come. A session reconvened after a failed quorum names the
    session it replaces; it will deliberate without quorum."""
    if not can_prepare_sessions(actor, council):
        raise PermissionDenied()
    if procedure not in Session.Procedure.values:
        raise DomainError(_("Procédure inconnue."), field="procedure")
    place = _clean_place(place, procedure=procedure)
    starts_at = _clean_start(starts_at)
    is_public = bool(is_public)
    if reconvened_from is not None and (
        reconvened_from.council_id != council.pk
        or reconvened_from.status != Session.Status.CLOSED
        or reconvened_from.opened_at is not None
    ):
        raise DomainError(
            _("Seule une séance close faute de quorum peut être convoquée à nouveau.")
        )
    if (
        reconvened_from is not None
        and Session.objects.filter(reconvened_from=reconvened_from).exists()
    ):
        raise DomainError(_("Cette séance a déjà été convoquée à nouveau."))
    with transaction.atomic():
        session = Session.objects.create(
            council=council,
            starts_at=starts_at,
            place=place,
            is_public=is_public,
            procedure=procedure,
            reconvened_from=reconvened_from,
        )
        audit_record(
            actor=actor,
            action="votes.session.plan",
            target=session,
            data={
                "starts_at": starts_at.isoformat(),
                "place": place,
                "is_public": is_public,
                "procedure": procedure,
                "reconvened_from": getattr(reconvened_from, "pk", None),
            },
        )
    return session


def session_update(*, actor, session, starts_at, place, is_public):
    """Change the date, place or publicity of a planned session. Once the convocation
    is sent, a new date or place is sent to every member (an update of the same
    calendar event)."""
    if not can_prepare_sessions(actor, session.council):
        raise PermissionDenied()
    place = _clean_place(place, procedure=session.procedure)
    starts_at = _as_moment(starts_at)
    with transaction.atomic():
        session = locked_session(session)
        require_status(session, Session.Status.PLANNED)
        new = {"starts_at": starts_at, "place": place, "is_public": bool(is_public)}
        changed = sorted(name for name, value in new.items() if getattr(session, name) != value)
        if not changed:
            return session
        if "starts_at" in changed:  # an unchanged date may be today's, already begun
            _clean_start(starts_at)
        for name in changed:
            setattr(session, name, new[name])
        session.save(update_fields=changed)
        if session.convened_at is not None and {"starts_at", "place"} & set(changed):
            convocation_update(session)
        audit_record(
            actor=actor,
            action="votes.session.update",
            target=session,
            data={
                "changed": changed,
                "starts_at": session.starts_at.isoformat(),
                "place": session.place,
                "is_public": session.is_public,
                "sequence": session.convocation_sequence,
            },
        )
    return session


def _require_no_pending_vote(session):
    """The rights counted at a decision are those of its vote: attendance and proxies
    do not change between the opening of a vote and the decision on its item."""
    pending = Vote.objects.filter(
        item__session=session,
        item__decisions__isnull=True,
        item__initiative__status=Initiative.Status.ON_AGENDA,
    )
    if pending.exists():
        raise DomainError(
            _(
                "Un vote de cette séance attend sa décision : enregistrez-la avant de "
                "modifier les présences ou les pouvoirs."
            )
        )


def attendance_record(*, actor, session, present):
    """The chair records who is present (``present``: users); every other member in
    office is recorded absent. Proxies must still hold afterwards."""
    require_attendance_taker(actor, session)
    with transaction.atomic():
        session = locked_session(session)
        require_status(session, Session.Status.PLANNED, Session.Status.OPEN)
        _require_no_pending_vote(session)
        members = in_office(session)
        present_ids = {user.pk for user in present}
        strangers = present_ids - set(members)
        if strangers:
            raise DomainError(_("Seuls les membres en exercice du conseil sont pointés."))
        for user_id in members:
            Attendance.objects.update_or_create(
                session=session, user_id=user_id, defaults={"present": user_id in present_ids}
            )
        _check_proxies(session, members)
        audit_record(
            actor=actor,
            action="votes.session.attendance",
            target=session,
            data={"present": sorted(present_ids)},
        )
    return session


def _check_proxies(session, members):
    rules.validate_proxies(
        in_office=set(members.values()),
        present=present_members(session, members),
        proxies=rule_proxies(session, members),
    )


def proxy_record(*, actor, session, giver, holder):
    """The chair records a proxy from an absent member to a present one (one per
    holder, one per giver)."""
    require_session_chair(actor, session)
    try:
        with transaction.atomic():
            session = locked_session(session)
            require_status(session, Session.Status.PLANNED, Session.Status.OPEN)
            _require_no_pending_vote(session)
            members = in_office(session)
            outsiders = sorted(str(user) for user in (giver, holder) if user.pk not in members)
            if outsiders:
                raise DomainError(
                    _("%(names)s : pas membre en exercice du conseil, pas de pouvoir possible.")
                    % {"names": ", ".join(outsiders)}
                )
            proxy = Proxy.objects.create(session=session, giver=giver, holder=holder)
            _check_proxies(session, members)
            audit_record(
                actor=actor,
                action="votes.session.proxy",
                target=session,
                data={"giver": giver.pk, "holder": holder.pk},
            )
    except IntegrityError as error:
        if constraint_violated(error, "proxy_one_per_holder"):
            raise DomainError(_("Ce membre détient déjà un pouvoir.")) from None
        if constraint_violated(error, "proxy_one_per_giver"):
            raise DomainError(_("Ce membre a déjà donné pouvoir.")) from None
        if constraint_violated(error, "proxy_not_self"):
            raise DomainError(_("Un membre ne se donne pas pouvoir à lui-même.")) from None
        raise
    return proxy


def _quorum(session):
    members = in_office(session)
    return rules.quorum(
        in_office=set(members.values()),
        present=present_members(session, members),
        rule=rules.QuorumRule(session.council.quorum_rule),
        reconvened=session.reconvened_from_id is not None,
    )


def session_open(*, actor, session):
    """Open the session: attendance must be recorded and the quorum reached (a session
    reconvened after a failed quorum deliberates without it)."""
    require_session_chair(actor, session)
    with transaction.atomic():
        session = locked_session(session)
        require_status(session, Session.Status.PLANNED)
        if not session.attendances.exists():
            raise DomainError(_("Pointez d'abord les présents."))
        result = _quorum(session)
        if not result.reached:
            raise DomainError(
                _(
                    "Quorum non atteint : %(present)d présents, %(required)d requis. "
                    "Clôturez la séance faute de quorum et convoquez-la à nouveau."
                )
                % {"present": result.present, "required": result.required},
                code="no_quorum",
            )
        session.status = Session.Status.OPEN
        session.opened_at = timezone.now()
        session.quorum_required, session.quorum_present = result.required, result.present
        session.save(update_fields=["status", "opened_at", "quorum_required", "quorum_present"])
        audit_record(
            actor=actor,
            action="votes.session.open",
            target=session,
            data={"quorum": result.rule_text, "present": result.present},
        )
    return session


def session_close_without_quorum(*, actor, session):
    """Record that the quorum was not reached: the session closes without deliberating
    and may be convened again."""
    require_session_chair(actor, session)
    with transaction.atomic():
        session = locked_session(session)
        require_status(session, Session.Status.PLANNED)
        if not session.attendances.exists():
            raise DomainError(_("Pointez d'abord les présents."))
        result = _quorum(session)
        if result.reached:
            raise DomainError(_("Le quorum est atteint : ouvrez la séance."))
        session.status = Session.Status.CLOSED
        session.closed_at = timezone.now()
        session.quorum_required, session.quorum_present = result.required, result.present
        session.save(update_fields=["status", "closed_at", "quorum_required", "quorum_present"])
        # Nothing was deliberated: the dossiers go back to admissible, ready for the
        # reconvened session's agenda.
        for item in session.items.select_related("initiative"):
            if item.initiative.status == Initiative.Status.ON_AGENDA:
                initiative_take_off_agenda(
                    actor=actor,
                    initiative=item.initiative,
                    reason=_("Séance close faute de quorum."),
                )
        audit_record(
            actor=actor,
            action="votes.session.no_quorum",
            target=session,
            data={"present": result.present, "required": result.required},
        )
    return session


def session_close(*, actor, session):
    require_session_chair(actor, session)
    with transaction.atomic():
        session = locked_session(session)
        require_status(session, Session.Status.OPEN)
        if Vote.objects.filter(item__session=session, status=Vote.Status.OPEN).exists():
            raise DomainError(_("Un vote est encore ouvert : clôturez-le d'abord."))
        undecided = session.items.filter(
            decisions__isnull=True, initiative__status=Initiative.Status.ON_AGENDA
        )
        if undecided.exists():
            raise DomainError(
                _(
                    "Chaque dossier de l'ordre du jour doit être décidé ou ajourné avant la "
                    "clôture de la séance."
                )
            )
        session.status = Session.Status.CLOSED
        session.closed_at = timezone.now()
        session.save(update_fields=["status", "closed_at"])
        audit_record(actor=actor, action="votes.session.close", target=session, data={})
    return session


def interest_declare(*, actor, item, note=""):
    """A member declares an interest in an item before its vote opens: they will not
    vote on it, nor use a proxy they hold."""
    session = item.session
    if not is_member_of(actor, session.council, on=timezone.localdate(session.starts_at)):
        raise PermissionDenied()
    note = clean_text(note, max_length=MAX_NOTE, multiline=False, field="note")
    with transaction.atomic():
        session = locked_session(session)
        if Vote.objects.filter(item=item).exists():
            raise DomainError(_("Les intérêts se déclarent avant l'ouverture du vote."))
        if session.status == Session.Status.CLOSED:
            raise DomainError(_("La séance est close."))
        interest, created = Interest.objects.get_or_create(
            item=item, user=actor, defaults={"note": note}
        )
        if created:
            audit_record(
                actor=actor,
                action="votes.interest.declare",
                target=item,
                # The note stays on the interest (the minutes print it), not in the
                # append-only log, which names no one but by id.
                data={"user": actor.pk, "interest": interest.pk},
            )
    return interest


def minutes_sign(*, actor, session):
    """The chair signs the minutes of a closed session; the ledger's head hash of the
    funds concerned is recorded with the signature."""
    require_session_chair(actor, session)
    with transaction.atomic():
        session = locked_session(session)
        require_status(session, Session.Status.CLOSED)
        if session.minutes_signed_at is not None:
            raise DomainError(_("Le procès-verbal est déjà signé."))
        funds = Fund.objects.filter(initiatives__agenda_items__session=session).distinct()
        session.minutes_head_hash = " ".join(
            available_account(fund).head_hash for fund in funds.order_by("pk")[:10]
        )
        session.minutes_signed_at = timezone.now()
        session.minutes_signed_by = actor
        session.save(update_fields=["minutes_signed_at", "minutes_signed_by", "minutes_head_hash"])
        audit_record(
            actor=actor,
            action="votes.minutes.sign",
            target=session,
            data={"head_hash": session.minutes_head_hash},
        )
    return session


def item_summarise(*, actor, item, summary):
    """The chair writes the summary of the discussion of an item, printed in the
    minutes; editable until the minutes are signed."""
    require_session_chair(actor, item.session)
    summary = clean_text(summary, max_length=MAX_SUMMARY, field="summary")
    with transaction.atomic():
        session = locked_session(item.session)
        if session.minutes_signed_at is not None:
            raise DomainError(_("Le procès-verbal est déjà signé."))
        item.summary = summary
        item.save(update_fields=["summary"])
        audit_record(
            actor=actor, action="votes.item.summary", target=item, data={"length": len(summary)}
        )
    return item
