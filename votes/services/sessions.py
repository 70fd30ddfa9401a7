"""Sessions: planning, agenda, attendance and proxies, quorum, opening and closing,
interests, minutes' signature."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from fonds.ledger import available_account
from fonds.models import Fund, Initiative
from fonds.services.council import (
    InitiativeNotReady,
    initiative_put_on_agenda,
    initiative_take_off_agenda,
)
from votes import rules
from votes.models import AgendaItem, Attendance, Interest, Proxy, Session, Vote
from votes.predicates import can_prepare_sessions, is_member_of

from .common import (
    in_office,
    locked_session,
    present_members,
    require_chair,
    require_status,
    rule_proxies,
)

MAX_PLACE = 200


def session_plan(*, actor, council, starts_at, place, reconvened_from=None):
    """Plan a session. A session reconvened after a failed quorum names the session it
    replaces; it will deliberate without quorum."""
    if not can_prepare_sessions(actor, council):
        raise PermissionDenied()
    place = (place or "").strip()
    if not place or len(place) > MAX_PLACE:
        raise DomainError(_("Indiquez le lieu de la séance."), field="place")
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
            council=council, starts_at=starts_at, place=place, reconvened_from=reconvened_from
        )
        audit_record(
            actor=actor,
            action="votes.session.plan",
            target=session,
            data={
                "starts_at": starts_at.isoformat(),
                "place": place,
                "reconvened_from": getattr(reconvened_from, "pk", None),
            },
        )
    return session


def agenda_add(*, actor, session, initiative):
    """Put an admissible dossier of the council's quartier on the agenda."""
    council = session.council
    if not can_prepare_sessions(actor, council):
        raise PermissionDenied()
    if initiative.fund.quartier_id != council.quartier_id:
        raise DomainError(_("Ce dossier relève d'un autre quartier."))
    if initiative.fund.decision_mode != Fund.DecisionMode.COUNCIL:
        raise DomainError(_("Ce fonds est attribué par le vote des habitants."))
    if initiative.author_id == actor.pk:
        raise PermissionDenied()
    with transaction.atomic():
        session = locked_session(session)
        require_status(session, Session.Status.PLANNED, Session.Status.OPEN)
        if initiative.status != Initiative.Status.ADMISSIBLE:
            raise DomainError(_("Seul un dossier recevable peut être inscrit à l'ordre du jour."))
        position = (session.items.aggregate(last=Max("position"))["last"] or 0) + 1
        item = AgendaItem.objects.create(session=session, initiative=initiative, position=position)
        try:
            initiative_put_on_agenda(actor=actor, initiative=initiative, session_label=str(session))
        except InitiativeNotReady:  # the caller's copy was stale
            raise DomainError(
                _("Seul un dossier recevable peut être inscrit à l'ordre du jour.")
            ) from None
        audit_record(
            actor=actor,
            action="votes.agenda.add",
            target=item,
            data={"session": session.pk, "initiative": initiative.pk},
        )
    return item


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
    require_chair(actor, session.council)
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
    require_chair(actor, session.council)
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
    require_chair(actor, session.council)
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
    require_chair(actor, session.council)
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
    require_chair(actor, session.council)
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
    note = (note or "").strip()[:300]
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
                data={"user": actor.pk, "note": note},
            )
    return interest


def minutes_sign(*, actor, session):
    """The chair signs the minutes of a closed session; the ledger's head hash of the
    funds concerned is recorded with the signature."""
    require_chair(actor, session.council)
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
    require_chair(actor, item.session.council)
    summary = (summary or "").strip()
    if len(summary) > 5000:
        raise DomainError(_("%(n)d caractères au plus.") % {"n": 5000}, field="summary")
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
