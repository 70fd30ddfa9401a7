"""The agenda of a session: admissible dossiers of the council's quartier put on it,
moved up or down, taken off before the session opens. Each change after the
convocation is sent to the members as an update."""

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Max, PositiveSmallIntegerField, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from fonds.models import Fund, Initiative
from fonds.services.council import (
    InitiativeNotReady,
    initiative_put_on_agenda,
    initiative_take_off_agenda,
)
from votes.models import AgendaItem, Session
from votes.predicates import can_prepare_sessions

from .common import (
    locked_session,
    require_status,
)
from .convocations import convocation_update


def _require_preparer(actor, council):
    if not can_prepare_sessions(actor, council):
        raise PermissionDenied()


def agenda_add(*, actor, session, initiative):
    """Put an admissible dossier of the council's quartier on the agenda (last). A
    dossier on the agenda of another session is not added until it leaves it."""
    council = session.council
    _require_preparer(actor, council)
    if initiative.fund.quartier_id != council.quartier_id:
        raise DomainError(_("Ce dossier relève d'un autre quartier."))
    if initiative.fund.decision_mode != Fund.DecisionMode.COUNCIL:
        raise DomainError(_("Ce fonds est attribué par le vote des habitants."))
    if initiative.author_id == actor.pk:
        raise PermissionDenied()
    not_ready = _("Seul un dossier recevable peut être inscrit à l'ordre du jour.")
    try:
        with transaction.atomic():
            session = locked_session(session)
            require_status(session, Session.Status.PLANNED, Session.Status.OPEN)
            # Read fresh, under lock: the caller's copy may be stale.
            current = Initiative.objects.select_for_update().get(pk=initiative.pk)
            if current.status == Initiative.Status.ON_AGENDA:
                raise DomainError(
                    not_ready + " " + _("Celui-ci est déjà inscrit à l'ordre du jour d'une séance.")
                )
            if current.status != Initiative.Status.ADMISSIBLE:
                raise DomainError(not_ready)
            position = (session.items.aggregate(last=Max("position"))["last"] or 0) + 1
            item = AgendaItem.objects.create(
                session=session, initiative=initiative, position=position
            )
            try:
                initiative_put_on_agenda(
                    actor=actor, initiative=initiative, session_label=str(session)
                )
            except InitiativeNotReady:
                raise DomainError(not_ready) from None
            _agenda_changed(session)
            audit_record(
                actor=actor,
                action="votes.agenda.add",
                target=item,
                data={"session": session.pk, "initiative": initiative.pk},
            )
    except IntegrityError as error:
        if constraint_violated(error, "agenda_item_once"):
            raise DomainError(
                _("Ce dossier figure déjà à l'ordre du jour de cette séance.")
            ) from None
        raise
    return item


def _agenda_changed(session):
    """An agenda change after the convocation is sent to the members, until the
    session opens."""
    if session.convened_at is not None and session.status == Session.Status.PLANNED:
        convocation_update(session)


def _renumber(session, ordered_ids):
    """Give the items positions 1, 2, … in that order. The unique (session, position)
    constraint is checked row by row (it is not deferrable): the items first move past
    every position in use, then to their place — two updates."""
    ordered_ids = list(ordered_ids)
    if not ordered_ids:
        return
    items = AgendaItem.objects.filter(session=session)
    highest = items.aggregate(last=Max("position"))["last"] or 0
    items.update(position=F("position") + highest)
    items.update(
        position=Case(
            *(When(pk=pk, then=Value(n)) for n, pk in enumerate(ordered_ids, start=1)),
            default=F("position"),
            output_field=PositiveSmallIntegerField(),
        )
    )


def _locked_item(item):
    """The session under lock, and the item read again inside it."""
    session = locked_session(item.session)
    try:
        item = AgendaItem.objects.select_related("initiative").get(pk=item.pk, session=session)
    except AgendaItem.DoesNotExist:
        raise DomainError(_("Ce point n'est plus à l'ordre du jour.")) from None
    return session, item


MOVES = {"up": -1, "down": 1}


def agenda_move(*, actor, item, direction):
    """Move an item one place up or down the agenda of a planned session."""
    _require_preparer(actor, item.session.council)
    if direction not in MOVES:
        raise DomainError(_("Déplacement inconnu."), field="direction")
    with transaction.atomic():
        session, item = _locked_item(item)
        require_status(session, Session.Status.PLANNED)
        order = list(session.items.order_by("position").values_list("pk", flat=True))
        index = order.index(item.pk)
        other = index + MOVES[direction]
        if not 0 <= other < len(order):
            raise DomainError(
                _("Ce point est déjà le premier.")
                if direction == "up"
                else _("Ce point est déjà le dernier.")
            )
        order[index], order[other] = order[other], order[index]
        _renumber(session, order)
        _agenda_changed(session)
        audit_record(
            actor=actor,
            action="votes.agenda.move",
            target=item,
            data={"session": session.pk, "direction": direction, "order": order},
        )
    item.position = other + 1
    return item


def agenda_remove(*, actor, item):
    """Take an item off the agenda before the session opens and before any vote on it:
    its dossier is admissible again, ready for another session."""
    _require_preparer(actor, item.session.council)
    with transaction.atomic():
        session, item = _locked_item(item)
        if session.status != Session.Status.PLANNED:
            raise DomainError(
                _("Un point ne se retire de l'ordre du jour qu'avant l'ouverture de la séance.")
            )
        if item.votes.exists() or item.decisions.exists():
            raise DomainError(_("Un vote a été ouvert sur ce point : il reste à l'ordre du jour."))
        initiative = item.initiative
        if initiative.status == Initiative.Status.ON_AGENDA:
            initiative_take_off_agenda(
                actor=actor,
                initiative=initiative,
                reason=_("Retiré de l'ordre du jour de la séance du %(date)s.")
                % {"date": f"{timezone.localtime(session.starts_at):%d/%m/%Y}"},
            )
        audit_record(
            actor=actor,
            action="votes.agenda.remove",
            target=session,
            data={"item": item.pk, "initiative": initiative.pk, "position": item.position},
        )
        item.delete()
        _renumber(session, session.items.order_by("position").values_list("pk", flat=True))
        _agenda_changed(session)
    return session
