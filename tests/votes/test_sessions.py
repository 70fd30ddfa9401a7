"""Sessions: quorum and reconvened sessions, attendance of members in office, proxies,
the agenda, interests, closing and the minutes' signature. Every refusal is a French
DomainError (or PermissionDenied) and writes nothing."""

import datetime

import pytest
from django.utils import timezone

from accounts.errors import DomainError, PermissionDenied
from accounts.models import User
from fonds.ledger import available_account
from fonds.models import Fund, Initiative
from fonds.services import initiative_withdraw
from tests.fonds.conftest import _open_fund
from tests.system import SYSTEM
from votes.models import Attendance, Council, Interest, Mandate, Proxy, Session
from votes.services import (
    agenda_add,
    attendance_record,
    council_create,
    decision_record,
    interest_declare,
    mandate_grant,
    minutes_sign,
    proxy_record,
    session_close,
    session_close_without_quorum,
    session_open,
    session_plan,
    vote_cast,
    vote_close,
    vote_open,
)

pytestmark = pytest.mark.django_db


def plan(council, actor, **extra):
    return session_plan(
        actor=actor, council=council, starts_at=timezone.now(), place="Salle des fêtes", **extra
    )


def fresh(session):
    return Session.objects.get(pk=session.pk)


def fresh_initiative(item):
    return Initiative.objects.get(pk=item.initiative_id)


# --- Quorum ---------------------------------------------------------------------------


def test_no_session_opens_without_quorum_and_the_message_gives_the_numbers(
    session, members, chair, nothing_written
):
    chair_, sophie, ali = members[:3]
    attendance_record(actor=chair, session=session, present=[chair_, sophie])
    with nothing_written(), pytest.raises(DomainError) as refused:
        session_open(actor=chair, session=session)
    assert refused.value.code == "no_quorum"
    assert "Quorum non atteint : 2 présents, 3 requis" in str(refused.value)
    assert fresh(session).status == Session.Status.PLANNED

    attendance_record(actor=chair, session=session, present=[chair_, sophie, ali])
    opened = session_open(actor=chair, session=session)
    assert opened.status == Session.Status.OPEN and opened.opened_at is not None
    assert (opened.quorum_present, opened.quorum_required) == (3, 3)


def test_proxies_do_not_count_towards_the_quorum(session, members, chair, nothing_written):
    chair_, sophie, ali, claire, hugo, _ = members
    attendance_record(actor=chair, session=session, present=[chair_, sophie])
    proxy_record(actor=chair, session=session, giver=ali, holder=sophie)
    proxy_record(actor=chair, session=session, giver=hugo, holder=chair_)
    with nothing_written(), pytest.raises(DomainError, match="2 présents, 3 requis"):
        session_open(actor=chair, session=session)


def test_the_ex_officio_member_does_not_count_towards_the_quorum(
    session, members, chair, nothing_written
):
    chair_, sophie, *_, ex_officio = members
    attendance_record(actor=chair, session=session, present=[chair_, sophie, ex_officio])
    with nothing_written(), pytest.raises(DomainError, match="2 présents, 3 requis"):
        session_open(actor=chair, session=session)


def test_a_session_does_not_open_before_the_attendance_is_recorded(
    session, chair, members, nothing_written
):
    with nothing_written(), pytest.raises(DomainError, match="Pointez d'abord les présents"):
        session_open(actor=chair, session=session)


def test_a_session_reconvened_after_a_failed_quorum_opens_with_one_present(
    session, council, members, chair
):
    attendance_record(actor=chair, session=session, present=[chair])
    with pytest.raises(DomainError, match="1 présents, 3 requis"):
        session_open(actor=chair, session=session)
    failed = session_close_without_quorum(actor=chair, session=session)
    assert failed.status == Session.Status.CLOSED and failed.opened_at is None
    assert (failed.quorum_present, failed.quorum_required) == (1, 3)

    again = plan(council, chair, reconvened_from=failed)
    assert again.reconvened_from == failed
    attendance_record(actor=chair, session=again, present=[chair])
    opened = session_open(actor=chair, session=again)
    assert opened.status == Session.Status.OPEN
    assert (opened.quorum_present, opened.quorum_required) == (1, 0)


def test_the_dossiers_of_a_session_without_quorum_go_on_the_reconvened_agenda(
    session, council, members, chair, instructor, item
):
    """A failed session deliberated nothing: its dossiers are taken off its agenda and
    put on the reconvened session's."""
    attendance_record(actor=chair, session=session, present=[chair])
    session_close_without_quorum(actor=chair, session=session)
    initiative = Initiative.objects.get(pk=item.initiative_id)
    assert initiative.status == Initiative.Status.ADMISSIBLE
    again = plan(council, chair, reconvened_from=fresh(session))
    moved = agenda_add(actor=instructor, session=again, initiative=initiative)
    assert Initiative.objects.get(pk=initiative.pk).status == Initiative.Status.ON_AGENDA
    assert moved.position == 1


def test_closing_for_lack_of_quorum_is_refused_when_the_quorum_is_reached(
    session, members, chair, nothing_written
):
    attendance_record(actor=chair, session=session, present=members[:3])
    with nothing_written(), pytest.raises(DomainError, match="Le quorum est atteint"):
        session_close_without_quorum(actor=chair, session=session)


def test_closing_for_lack_of_quorum_needs_the_attendance_first(
    session, members, chair, nothing_written
):
    """Without a roll call nobody has shown the quorum failed: a session closed that way
    would let the reconvened one deliberate without quorum."""
    with nothing_written(), pytest.raises(DomainError, match="Pointez d'abord les présents"):
        session_close_without_quorum(actor=chair, session=session)


@pytest.fixture
def other_council_failed_session(other_quartier, chair):
    """A session of another quartier's council (chaired by the same person) closed for
    lack of quorum."""
    citizen = council_create(
        actor=SYSTEM, quartier=other_quartier, name="Conseil citoyen", kind=Council.Kind.CITIZEN
    )
    mandate_grant(
        actor=SYSTEM,
        council=citizen,
        user=chair,
        role=Mandate.Role.CHAIR,
        starts_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    chair.__dict__.pop("_mandates", None)
    other = plan(citizen, chair)
    attendance_record(actor=chair, session=other, present=[])
    return session_close_without_quorum(actor=chair, session=other)


@pytest.mark.parametrize(
    "which", ["planned", "opened_then_closed", "other_council", "already_reconvened"]
)
def test_only_a_session_closed_for_lack_of_quorum_of_the_same_council_is_reconvened(
    which, session, council, members, chair, request, nothing_written
):
    if which == "opened_then_closed":
        attendance_record(actor=chair, session=session, present=members[:3])
        session_open(actor=chair, session=session)
        session = session_close(actor=chair, session=session)
    elif which == "other_council":
        session = request.getfixturevalue("other_council_failed_session")
    elif which == "already_reconvened":
        attendance_record(actor=chair, session=session, present=[chair])
        session = session_close_without_quorum(actor=chair, session=session)
        plan(council, chair, reconvened_from=session)
    with nothing_written(), pytest.raises(DomainError) as refused:
        plan(council, chair, reconvened_from=fresh(session))
    expected = "déjà été convoquée" if which == "already_reconvened" else "close faute de quorum"
    assert expected in str(refused.value)


def test_a_session_needs_a_place(council, chair, nothing_written):
    for place in ("", "   ", "x" * 201):
        with nothing_written(), pytest.raises(DomainError, match="lieu"):
            session_plan(actor=chair, council=council, starts_at=timezone.now(), place=place)


# --- Attendance -----------------------------------------------------------------------


def test_attendance_records_the_members_in_office_present_and_the_others_absent(
    session, members, chair
):
    attendance_record(actor=chair, session=session, present=members[:3])
    recorded = dict(Attendance.objects.filter(session=session).values_list("user_id", "present"))
    assert recorded == {m.pk: i < 3 for i, m in enumerate(members)}


@pytest.fixture
def outsiders(council):
    """People who are not members in office: a mandate that ended yesterday, one that
    starts tomorrow, and someone who never sat."""
    today = timezone.localdate()
    periods = {
        "expired_mandate": (today - datetime.timedelta(days=400), today - datetime.timedelta(1)),
        "future_mandate": (today + datetime.timedelta(days=1), None),
        "stranger": None,
    }
    people = {}
    for name, period in periods.items():
        person = User.objects.create_user(email=f"{name}@example.org", display_name=name)
        if period:
            mandate_grant(
                actor=SYSTEM,
                council=council,
                user=person,
                role=Mandate.Role.MEMBER,
                starts_on=period[0],
                ends_on=period[1],
            )
        people[name] = person
    return people


def test_only_members_in_office_are_recorded_present(
    session, members, chair, instructor, outsiders, nothing_written
):
    for person in [*outsiders.values(), instructor]:
        with nothing_written(), pytest.raises(DomainError, match="membres en exercice"):
            attendance_record(actor=chair, session=session, present=[*members[:3], person])


def test_members_in_office_are_those_of_the_sessions_local_day(
    council, members, chair, instructor, admissible
):
    """A session at half past midnight (Paris time) on the day a mandate starts: the new
    member sits, votes and may declare an interest, though it is still the day before
    in UTC."""
    day = timezone.localdate() + datetime.timedelta(days=2)
    starts_at = datetime.datetime.combine(
        day, datetime.time(0, 30), tzinfo=timezone.get_current_timezone()
    )
    newcomer = User.objects.create_user(email="nouvelle@example.org", display_name="Nouvelle")
    mandate_grant(
        actor=SYSTEM, council=council, user=newcomer, role=Mandate.Role.MEMBER, starts_on=day
    )
    session = session_plan(actor=chair, council=council, starts_at=starts_at, place="Mairie")
    item = agenda_add(actor=instructor, session=session, initiative=admissible)
    attendance_record(actor=chair, session=session, present=[*members[:3], newcomer])
    opened = session_open(actor=chair, session=session)
    assert (opened.quorum_present, opened.quorum_required) == (4, 4)
    assert interest_declare(actor=newcomer, item=item).user == newcomer


# --- Proxies --------------------------------------------------------------------------


@pytest.fixture
def roll_call(session, members, chair):
    """The chair, Sophie and Claire present; Ali, Hugo and the ex officio member absent."""
    chair_, sophie, ali, claire, hugo, ex_officio = members
    attendance_record(actor=chair, session=session, present=[chair_, sophie, claire])
    return members


def test_a_proxy_goes_from_an_absent_member_to_a_present_one(session, roll_call, chair):
    _, _, _, claire, hugo, _ = roll_call
    proxy = proxy_record(actor=chair, session=session, giver=hugo, holder=claire)
    assert (proxy.giver, proxy.holder) == (hugo, claire)


def test_proxy_rules(session, roll_call, chair, nothing_written):
    chair_, sophie, ali, claire, hugo, ex_officio = roll_call
    for giver, holder, message in [
        (sophie, claire, "assiste à la séance et ne peut donner pouvoir"),
        (hugo, ali, "n'assiste pas à la séance et ne peut recevoir de pouvoir"),
        (hugo, hugo, "ne se donne pas pouvoir à lui-même"),
        (ex_officio, claire, "sans voix délibérative et ne peut donner pouvoir"),
    ]:
        with nothing_written(), pytest.raises(DomainError, match=message):
            proxy_record(actor=chair, session=session, giver=giver, holder=holder)


def test_no_proxy_to_the_ex_officio_member(session, members, chair, nothing_written):
    chair_, sophie, ali, claire, hugo, ex_officio = members
    attendance_record(actor=chair, session=session, present=[chair_, sophie, claire, ex_officio])
    with nothing_written(), pytest.raises(DomainError, match="sans voix délibérative"):
        proxy_record(actor=chair, session=session, giver=hugo, holder=ex_officio)


def test_a_member_holds_one_proxy_and_gives_one(session, roll_call, chair, nothing_written):
    _, sophie, ali, claire, hugo, _ = roll_call
    proxy_record(actor=chair, session=session, giver=hugo, holder=claire)
    with nothing_written(), pytest.raises(DomainError, match="détient déjà un pouvoir"):
        proxy_record(actor=chair, session=session, giver=ali, holder=claire)
    with nothing_written(), pytest.raises(DomainError, match="a déjà donné pouvoir"):
        proxy_record(actor=chair, session=session, giver=hugo, holder=sophie)


def test_a_proxy_is_only_between_members_in_office(
    session, roll_call, chair, outsiders, nothing_written
):
    _, sophie, ali, claire, hugo, _ = roll_call
    for outsider in (outsiders["expired_mandate"], outsiders["stranger"]):
        for giver, holder in [(outsider, claire), (hugo, outsider)]:
            with nothing_written(), pytest.raises(DomainError, match="membre en exercice"):
                proxy_record(actor=chair, session=session, giver=giver, holder=holder)


@pytest.mark.parametrize(
    "present", ["holder_leaves", "giver_arrives"], ids=["holder leaves", "giver arrives"]
)
def test_attendance_that_would_break_a_proxy_is_refused(
    present, session, roll_call, chair, nothing_written
):
    chair_, sophie, ali, claire, hugo, _ = roll_call
    proxy_record(actor=chair, session=session, giver=hugo, holder=claire)
    now_present = [chair_, sophie] if present == "holder_leaves" else [chair_, sophie, claire, hugo]
    with nothing_written(), pytest.raises(DomainError, match="pouvoir"):
        attendance_record(actor=chair, session=session, present=now_present)
    assert Proxy.objects.filter(session=session).count() == 1


def test_attendance_and_proxies_are_frozen_while_a_vote_awaits_its_decision(
    opened, members, chair, item, nothing_written
):
    """The rights counted at the decision are those of the vote: nobody arrives, leaves
    or hands over a proxy between the opening of a vote and its decision."""
    chair_, sophie, ali, claire, hugo, _ = members
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="500")
    for member in (chair_, sophie, ali, claire):
        vote_cast(actor=member, vote=vote, choice="for")
    for step in ("open", "closed"):
        with nothing_written(), pytest.raises(DomainError, match="attend sa décision"):
            attendance_record(actor=chair, session=opened, present=[chair_, sophie, ali])
        with nothing_written(), pytest.raises(DomainError, match="attend sa décision"):
            proxy_record(actor=chair, session=opened, giver=hugo, holder=claire)
        if step == "open":
            vote_close(actor=chair, vote=vote)
    assert decision_record(actor=chair, item=item).tally["for"] == 4
    attendance_record(actor=chair, session=opened, present=[chair_, sophie, ali])


def test_a_dossier_withdrawn_after_its_vote_neither_freezes_nor_blocks_the_session(
    opened, members, chair, author, item
):
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="500")
    vote_cast(actor=chair, vote=vote, choice="for")
    vote_close(actor=chair, vote=vote)
    initiative_withdraw(actor=author, initiative=fresh_initiative(item))
    attendance_record(actor=chair, session=opened, present=members[:3])
    assert session_close(actor=chair, session=opened).status == Session.Status.CLOSED


# --- Agenda ---------------------------------------------------------------------------


def test_admissible_dossiers_go_on_the_agenda_in_order(
    session, council, members, instructor, admissible, make_admissible
):
    second = make_admissible()
    first_item = agenda_add(actor=instructor, session=session, initiative=admissible)
    second_item = agenda_add(actor=instructor, session=session, initiative=second)
    assert (first_item.position, second_item.position) == (1, 2)
    statuses = Initiative.objects.filter(pk__in=[admissible.pk, second.pk]).values_list(
        "status", flat=True
    )
    assert set(statuses) == {Initiative.Status.ON_AGENDA}


@pytest.mark.parametrize("status", ["submitted", "incomplete", "inadmissible", "withdrawn"])
def test_only_an_admissible_dossier_goes_on_the_agenda(
    status, session, instructor, initiative_in, nothing_written
):
    initiative = initiative_in(status)
    with nothing_written(), pytest.raises(DomainError, match="Seul un dossier recevable"):
        agenda_add(actor=instructor, session=session, initiative=initiative)


def test_a_dossier_already_on_an_agenda_is_not_added_again(
    session, council, chair, instructor, item, nothing_written
):
    later = plan(council, chair)
    with nothing_written(), pytest.raises(DomainError, match="Seul un dossier recevable"):
        agenda_add(actor=instructor, session=later, initiative=item.initiative)


def test_a_stale_copy_of_a_withdrawn_dossier_is_refused_cleanly(
    session, instructor, author, admissible, nothing_written
):
    initiative_withdraw(actor=author, initiative=Initiative.objects.get(pk=admissible.pk))
    assert admissible.status == Initiative.Status.ADMISSIBLE  # the caller's stale copy
    with nothing_written(), pytest.raises(DomainError):
        agenda_add(actor=instructor, session=session, initiative=admissible)


def test_a_dossier_of_another_quartier_is_refused(
    session, instructor, people, other_fund, make_admissible, nothing_written
):
    elsewhere = make_admissible(fund=other_fund, instructor=people["other_instructor"])
    with nothing_written(), pytest.raises(DomainError, match="autre quartier"):
        agenda_add(actor=instructor, session=session, initiative=elsewhere)


def test_a_dossier_of_a_fund_decided_by_the_residents_is_refused(
    session, quartier, instructor, make_admissible, nothing_written
):
    public_vote = _open_fund(quartier, label="Budget participatif")
    # fund_create refuses the residents' vote until it exists; set it on the row.
    Fund.objects.filter(pk=public_vote.pk).update(decision_mode=Fund.DecisionMode.PUBLIC_VOTE)
    public_vote.refresh_from_db()
    initiative = make_admissible(fund=public_vote)
    with nothing_written(), pytest.raises(DomainError, match="vote des habitants"):
        agenda_add(actor=instructor, session=session, initiative=initiative)


def test_the_author_does_not_put_their_own_dossier_on_the_agenda(
    session, chair, members, make_admissible, nothing_written
):
    own = make_admissible(author=chair)
    with nothing_written(), pytest.raises(PermissionDenied):
        agenda_add(actor=chair, session=session, initiative=own)


def test_no_dossier_is_added_to_a_closed_session(
    session, members, chair, instructor, admissible, nothing_written
):
    attendance_record(actor=chair, session=session, present=members[:3])
    session_open(actor=chair, session=session)
    session_close(actor=chair, session=session)
    with nothing_written(), pytest.raises(DomainError, match="la séance est"):
        agenda_add(actor=instructor, session=fresh(session), initiative=admissible)


# --- Interests ------------------------------------------------------------------------


def test_an_interest_is_declared_before_the_vote_opens(
    opened, members, chair, item, nothing_written
):
    sophie, ali = members[1], members[2]
    interest = interest_declare(actor=sophie, item=item, note="Présidente de l'association")
    assert interest.note == "Présidente de l'association"
    vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="500")
    with nothing_written(), pytest.raises(DomainError, match="avant l'ouverture du vote"):
        interest_declare(actor=ali, item=item)
    assert list(Interest.objects.values_list("user", flat=True)) == [sophie.pk]


def test_declaring_the_same_interest_twice_writes_it_once(session, members, item):
    sophie = members[1]
    interest_declare(actor=sophie, item=item)
    with_audit = interest_declare(actor=sophie, item=item)
    assert Interest.objects.filter(item=item).count() == 1 and with_audit.user == sophie


def test_only_a_member_of_the_council_declares_an_interest(
    session, members, people, item, outsiders, nothing_written
):
    for person in (
        people["resident"],
        people["instructor"],
        people["administrator"],
        people["council_member"],  # the role group, without a mandate on the council
        outsiders["expired_mandate"],
    ):
        with nothing_written(), pytest.raises(PermissionDenied):
            interest_declare(actor=person, item=item)


# --- Closing and minutes --------------------------------------------------------------


def test_a_session_with_an_open_vote_does_not_close(opened, chair, item, nothing_written):
    vote_open(actor=chair, item=item, mode="roll_call", proposed_amount="500")
    with nothing_written(), pytest.raises(DomainError, match="Un vote est encore ouvert"):
        session_close(actor=chair, session=opened)


def test_a_session_does_not_close_while_a_dossier_awaits_its_decision(
    opened, chair, author, item, instructor, make_admissible, nothing_written
):
    """Each dossier on the agenda is decided or deferred before the close; a dossier
    withdrawn meanwhile needs nothing."""
    withdrawn = agenda_add(actor=instructor, session=opened, initiative=make_admissible())
    initiative_withdraw(actor=author, initiative=fresh_initiative(withdrawn))
    with nothing_written(), pytest.raises(DomainError, match="décidé ou ajourné"):
        session_close(actor=chair, session=opened)
    decision_record(actor=chair, item=item, defer=True, reason="Devis à préciser.")
    assert session_close(actor=chair, session=opened).status == Session.Status.CLOSED


def test_minutes_are_signed_once_after_the_close_with_the_ledger_head_hash(
    opened, chair, item, credited, nothing_written
):
    with nothing_written(), pytest.raises(DomainError, match="Ouverte"):
        minutes_sign(actor=chair, session=opened)
    decision_record(actor=chair, item=item, defer=True, reason="Devis à préciser.")
    session_close(actor=chair, session=opened)
    signed = minutes_sign(actor=chair, session=opened)
    assert signed.minutes_signed_by == chair and signed.minutes_signed_at is not None
    assert signed.minutes_head_hash == available_account(credited).head_hash != "0" * 64
    with nothing_written(), pytest.raises(DomainError, match="déjà signé"):
        minutes_sign(actor=chair, session=opened)


def test_minutes_of_a_planned_session_are_not_signed(session, chair, members, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="Prévue"):
        minutes_sign(actor=chair, session=session)
