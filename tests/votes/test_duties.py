"""Separation of duties on an item: the dossier's author and a member who declared an
interest neither open, close, record nor publish its vote. The chair presides if able,
else the vice-chair, else a voting member designated at the session (named in the
minutes). A closed vote gives its decision: no second vote, no adjournment of a voted
item; an adjournment states its reason. Publication goes through a confirmation page
behind a fresh authentication."""

import datetime
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry, User
from fonds.ledger import available_account
from fonds.models import Initiative, LedgerTransaction
from fonds.money import euros
from tests.system import SYSTEM
from votes import rules
from votes.models import AgendaItem, Decision, Mandate, Vote
from votes.selectors import minutes_context
from votes.services import (
    agenda_add,
    attendance_record,
    decision_publish,
    decision_record,
    interest_declare,
    mandate_grant,
    session_open,
    session_plan,
    vote_cast,
    vote_close,
    vote_open,
)
from votes.services.ballots import item_designate_acting_chair
from votes.services.common import (
    presiding_officer,
    require_session_chair,
    session_presidents,
)

pytestmark = pytest.mark.django_db

PASSWORD = "x" * 12  # the members fixture's password


@pytest.fixture
def vice(council):
    user = User.objects.create_user(
        email="vice@example.org", password=PASSWORD, display_name="Nadia Vice"
    )
    mandate_grant(
        actor=SYSTEM,
        council=council,
        user=user,
        role=Mandate.Role.VICE_CHAIR,
        starts_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    return user


@pytest.fixture
def own_item(session, members, instructor, make_admissible):
    """A dossier written by the chair, on the agenda."""
    dossier = make_admissible("Le jardin du maire", author=members[0])
    return agenda_add(actor=instructor, session=session, initiative=dossier)


def open_with(session, chair, present):
    attendance_record(actor=chair, session=session, present=present)
    return session_open(actor=chair, session=session)


def run_vote(officer, item, voters, *, amount="500"):
    vote = vote_open(actor=officer, item=item, mode="show_of_hands", proposed_amount=amount)
    for voter, choice in voters.items():
        vote_cast(actor=voter, vote=vote, choice=choice)
    return vote_close(actor=officer, vote=vote)


def refused(nothing_written, call, match=None):
    with nothing_written(), pytest.raises(PermissionDenied, match=match):
        call()


# --- The chair who wrote the dossier or declared an interest --------------------------


@pytest.mark.parametrize("why", ["author", "interest"])
def test_a_conflicted_chair_neither_opens_closes_records_nor_publishes_the_vice_chair_does(
    why, session, members, chair, vice, item, own_item, nothing_written
):
    chair_, sophie, ali, claire = members[:4]
    target = own_item if why == "author" else item
    if why == "interest":
        interest_declare(actor=chair, item=item, note="Adhérent de l'association")
    open_with(session, chair, [chair_, vice, sophie, ali, claire])
    target = AgendaItem.objects.get(pk=target.pk)

    refused(
        nothing_written,
        lambda: vote_open(actor=chair, item=target, mode="roll_call", proposed_amount="500"),
        "Nadia Vice préside ce point",
    )
    vote = vote_open(actor=vice, item=target, mode="roll_call", proposed_amount="500")
    for voter, choice in [(sophie, "against"), (ali, "against"), (claire, "for")]:
        vote_cast(actor=voter, vote=vote, choice=choice)
    with nothing_written(), pytest.raises(PermissionDenied):  # no vote on it either
        vote_cast(actor=chair, vote=vote, choice="for")
    refused(nothing_written, lambda: vote_close(actor=chair, vote=vote))
    vote_close(actor=vice, vote=vote)
    refused(nothing_written, lambda: decision_record(actor=chair, item=target))
    decision = decision_record(actor=vice, item=target)
    assert decision.recorded_by == vice and decision.outcome == Decision.Outcome.REFUSED
    refused(nothing_written, lambda: decision_publish(actor=chair, decision=decision))
    assert decision_publish(actor=vice, decision=decision).published_by == vice
    assert presiding_officer(target, in_session=True).name == "Nadia Vice"


def test_the_chair_presides_the_other_items_and_the_vice_chair_then_cannot(
    session, members, chair, vice, item, own_item, nothing_written
):
    open_with(session, chair, [*members[:4], vice])
    refused(
        nothing_written,
        lambda: vote_open(actor=vice, item=item, mode="roll_call", proposed_amount="500"),
        "Jean Moreau préside ce point",
    )
    vote_open(actor=chair, item=item, mode="roll_call", proposed_amount="500")


def test_an_absent_chair_is_replaced_by_the_vice_chair_on_the_session_too(
    session, members, chair, vice, item, nothing_written
):
    assert session_presidents(session) == {chair.pk, vice.pk}  # before attendance
    attendance_record(actor=chair, session=session, present=[*members[1:4], vice])
    assert session_presidents(session) == {vice.pk}
    with nothing_written(), pytest.raises(PermissionDenied, match="vice-président"):
        require_session_chair(chair, session)
    require_session_chair(vice, session)
    # An item-level action in session: the absent chair is not able to preside.
    assert presiding_officer(item, in_session=True).name == "Nadia Vice"
    # A publication, after the session, does not ask for presence.
    assert presiding_officer(item, in_session=False).name == "Jean Moreau"
    attendance_record(actor=chair, session=session, present=[*members[:4], vice])
    assert session_presidents(session) == {chair.pk}


def test_a_vice_chair_who_also_conflicts_hands_over_to_a_designated_member(
    session, members, chair, vice, own_item, nothing_written
):
    interest_declare(actor=vice, item=own_item, note="Voisine du jardin")
    open_with(session, chair, [*members[:4], vice])
    with nothing_written(), pytest.raises(PermissionDenied, match="désigne un membre"):
        vote_open(actor=vice, item=own_item, mode="roll_call", proposed_amount="500")
    item_designate_acting_chair(actor=chair, item=own_item, member=members[2])
    assert presiding_officer(own_item, in_session=True).name == "Ali Benali"


# --- A member designated at the session ----------------------------------------------


@pytest.fixture
def designated(session, members, chair, own_item):
    """No vice-chair in office; the chair wrote the dossier: Sophie is designated."""
    open_with(session, chair, members[:5])
    item_designate_acting_chair(actor=chair, item=own_item, member=members[1])
    return AgendaItem.objects.get(pk=own_item.pk)


def test_failing_a_vice_chair_nobody_presides_until_a_member_is_designated(
    session, members, chair, own_item, nothing_written
):
    open_with(session, chair, members[:5])
    for actor in (chair, members[1]):
        refused(
            nothing_written,
            lambda actor=actor: vote_open(
                actor=actor, item=own_item, mode="roll_call", proposed_amount="500"
            ),
            "désigne un membre",
        )
    item = item_designate_acting_chair(actor=chair, item=own_item, member=members[1])
    assert item.acting_chair == members[1]
    entry = AuditEntry.objects.get(action="votes.item.acting_chair")
    assert entry.actor == chair and entry.data == {"session": session.pk, "member": members[1].pk}


def test_the_designated_member_opens_closes_records_and_is_named_in_the_minutes(
    designated, session, members, chair, nothing_written
):
    sophie, ali, claire, hugo = members[1:5]
    refused(
        nothing_written,
        lambda: vote_open(actor=chair, item=designated, mode="secret", proposed_amount="500"),
        "Sophie Martin préside ce point",
    )
    vote = vote_open(actor=sophie, item=designated, mode="secret", proposed_amount="500")
    for voter, choice in [(sophie, "for"), (ali, "for"), (claire, "against"), (hugo, "for")]:
        vote_cast(actor=voter, vote=vote, choice=choice)
    refused(nothing_written, lambda: vote_close(actor=chair, vote=vote))
    vote_close(actor=sophie, vote=vote)
    decision = decision_record(actor=sophie, item=designated)
    assert decision.outcome == Decision.Outcome.GRANTED and decision.recorded_by == sophie
    refused(nothing_written, lambda: decision_publish(actor=chair, decision=decision))

    context = minutes_context(session)
    (entry,) = [e for e in context["items"] if e["item"].pk == designated.pk]
    assert entry["acting_chair"] == sophie
    html = " ".join(render_to_string("votes/minutes.html", context).split())
    assert "Sophie Martin, désigné·e en séance, préside ce point" in html


@pytest.mark.parametrize(
    ("who", "message"),
    [
        (5, "ne peut présider ce point"),  # ex officio: no vote
        (0, "ne peut présider ce point"),  # the chair, author of the dossier
        ("outsider", "ne peut présider ce point"),
    ],
)
def test_only_an_able_voting_member_is_designated(
    who, message, session, members, chair, own_item, people, nothing_written
):
    open_with(session, chair, [*members[:5], members[5]])
    member = people["resident"] if who == "outsider" else members[who]
    with nothing_written(), pytest.raises(DomainError, match=message):
        item_designate_acting_chair(actor=chair, item=own_item, member=member)


def test_an_absent_or_interested_member_is_not_designated(
    session, members, chair, own_item, nothing_written
):
    interest_declare(actor=members[2], item=own_item)
    open_with(session, chair, members[:4])  # Hugo absent
    for member in (members[2], members[4]):
        with nothing_written(), pytest.raises(DomainError, match="ne peut présider ce point"):
            item_designate_acting_chair(actor=chair, item=own_item, member=member)


def test_designation_is_for_the_session_chair_and_only_when_needed(
    session, members, chair, item, own_item, nothing_written
):
    open_with(session, chair, members[:5])
    with nothing_written(), pytest.raises(PermissionDenied):
        item_designate_acting_chair(actor=members[1], item=own_item, member=members[1])
    with nothing_written(), pytest.raises(DomainError, match="aucune désignation"):
        item_designate_acting_chair(actor=chair, item=item, member=members[1])


def test_no_designation_after_the_decision(designated, members, chair, nothing_written):
    decision_record(actor=members[1], item=designated, defer=True, reason="Devis attendu.")
    with nothing_written(), pytest.raises(DomainError, match="déjà enregistrée"):
        item_designate_acting_chair(actor=chair, item=designated, member=members[2])


def test_a_written_procedure_is_presided_without_attendance(
    session, members, chair, own_item, nothing_written
):
    """Presence does not apply to a written procedure: a designated member who will not
    attend may still preside it."""
    deadline = timezone.now() + datetime.timedelta(days=7)
    with nothing_written(), pytest.raises(PermissionDenied, match="désigne un membre"):
        vote_open(
            actor=chair, item=own_item, mode="roll_call", proposed_amount="500", deadline=deadline
        )
    item_designate_acting_chair(actor=chair, item=own_item, member=members[4])
    vote = vote_open(
        actor=members[4], item=own_item, mode="roll_call", proposed_amount="500", deadline=deadline
    )
    assert vote.deadline == deadline


# --- A closed vote gives its decision ------------------------------------------------


def test_a_closed_vote_is_not_run_again_nor_adjourned(
    opened, members, chair, item, nothing_written
):
    run_vote(chair, item, {members[0]: "for", members[1]: "against"})
    with nothing_written(), pytest.raises(DomainError, match="déjà été mis aux voix"):
        vote_open(actor=chair, item=item, mode="roll_call", proposed_amount="400")
    with nothing_written(), pytest.raises(DomainError, match="mis aux voix") as caught:
        decision_record(actor=chair, item=item, defer=True, reason="On revote la prochaine fois.")
    assert caught.value.code == "voted"
    with nothing_written(), pytest.raises(DomainError, match="avant l'ouverture du vote"):
        interest_declare(actor=members[2], item=item)
    decision_record(actor=chair, item=item)


def test_an_open_vote_is_not_adjourned(opened, chair, item, nothing_written):
    vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="400")
    with nothing_written(), pytest.raises(DomainError, match="mis aux voix"):
        decision_record(actor=chair, item=item, defer=True, reason="Finalement non.")


def test_the_database_holds_one_vote_per_item(opened, chair, item):
    vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="400")
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(item=item, mode="roll_call", proposed_amount=Decimal("400"))


def test_an_adjourned_dossier_is_voted_again_as_a_new_item_of_a_later_session(
    opened, council, members, chair, item, instructor, nothing_written
):
    decision = decision_record(actor=chair, item=item, defer=True, reason="  Devis à préciser. ")
    assert decision.rule_applied == "Ajournement décidé en séance. Devis à préciser."
    entry = AuditEntry.objects.get(action="votes.decision.record")
    assert entry.data["reason"] == "Devis à préciser."
    with nothing_written(), pytest.raises(DomainError, match="déjà enregistrée"):
        vote_open(actor=chair, item=item, mode="roll_call", proposed_amount="400")
    decision_publish(actor=chair, decision=decision)
    initiative = Initiative.objects.get(pk=item.initiative_id)
    assert initiative.status == Initiative.Status.ADMISSIBLE
    later = session_plan(actor=chair, council=council, starts_at=timezone.now(), place="Mairie")
    again = agenda_add(actor=instructor, session=later, initiative=initiative)
    open_with(later, chair, members[:4])
    assert vote_open(actor=chair, item=again, mode="roll_call", proposed_amount="400").item == again


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "motif de l'ajournement"),
        ("   ", "motif de l'ajournement"),
        ("Devis\x00attendu", "caractère de contrôle"),
        ("Devis\nattendu", "tient sur une ligne"),
        ("x" * 300, "caractères au plus"),
    ],
    ids=["empty", "blank", "nul", "newline", "too long"],
)
def test_an_adjournment_needs_a_clean_reason(reason, message, opened, chair, item, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match=message) as caught:
        decision_record(actor=chair, item=item, defer=True, reason=reason)
    assert caught.value.field == "reason"


# --- The pure rule ---------------------------------------------------------------------

ROLES = list(rules.Role)


@st.composite
def councils(draw):
    size = draw(st.integers(min_value=0, max_value=8))
    roles = draw(st.lists(st.sampled_from(ROLES), min_size=size, max_size=size))
    seats = [rules.Member(id=i + 1, name=f"M{i + 1}", role=role) for i, role in enumerate(roles)]
    excluded = draw(st.sets(st.sampled_from(seats))) if seats else set()
    present = (
        draw(st.none() | st.sets(st.sampled_from(seats)))
        if seats
        else draw(st.none() | st.just(set()))
    )
    designated = draw(st.none() | st.sampled_from(seats)) if seats else None
    return seats, excluded, present, designated


def reference_officer(seats, excluded, present, designated):
    """The rule as the brief states it, written out once more."""

    def able(member):
        return (
            member.role != rules.Role.EX_OFFICIO
            and member not in excluded
            and (present is None or member in present)
        )

    chairs = [m for m in seats if m.role == rules.Role.CHAIR and able(m)]
    if chairs:
        return min(chairs, key=lambda m: m.id)
    vices = [m for m in seats if m.role == rules.Role.VICE_CHAIR and able(m)]
    if vices:
        return min(vices, key=lambda m: m.id)
    if designated is not None and able(designated):
        return designated
    return None


@given(councils())
def test_the_presiding_officer_follows_the_rule(council):
    seats, excluded, present, designated = council
    officer = rules.presiding_officer(
        in_office=seats, excluded=excluded, present=present, designated=designated
    )
    assert officer == reference_officer(seats, excluded, present, designated)
    if officer is not None:
        assert officer in seats and officer not in excluded and officer.role.votes
        assert present is None or officer in present


def test_a_designation_never_overrides_an_able_chair():
    chair = rules.Member(1, "Chair", rules.Role.CHAIR)
    vice = rules.Member(2, "Vice", rules.Role.VICE_CHAIR)
    member = rules.Member(3, "Membre", rules.Role.MEMBER)
    seats = [chair, vice, member]
    choose = rules.presiding_officer
    assert choose(in_office=seats, excluded=set(), present=None, designated=member) == chair
    assert choose(in_office=seats, excluded={chair}, present=None, designated=member) == vice
    assert choose(
        in_office=seats, excluded={chair}, present={chair, member}, designated=member
    ) == (member)
    assert choose(in_office=seats, excluded={chair, vice}, present=None) is None


# --- Publication: a confirmation page, a fresh authentication -------------------------


def reauthenticate(client, user, password=PASSWORD):
    """Log in, then confirm the password on allauth's re-authentication page (a plain
    login is not a recent re-authentication)."""
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    client.force_login(user)
    response = client.post("/comptes/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.content.decode()[:500]


@pytest.fixture
def granted(opened, members, chair, item, credited):
    """750 € granted (3 for, 1 against), recorded, not published; the fund holds 5 000 €."""
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="750")
    for member, choice in zip(members[:4], ["for", "for", "for", "against"], strict=True):
        vote_cast(actor=member, vote=vote, choice=choice)
    vote_close(actor=chair, vote=vote)
    return decision_record(actor=chair, item=item)


def publish_url(decision):
    return f"/conseil/decisions/{decision.pk}/publier/"


def commits():
    return LedgerTransaction.objects.filter(kind="commit").count()


def test_publishing_needs_a_recent_authentication(client, granted, chair):
    before = (commits(), AuditEntry.objects.count())
    url = publish_url(granted)
    assert client.get(url)["Location"].startswith("/comptes/login/")
    client.force_login(chair)
    assert client.get(url)["Location"].startswith("/comptes/reauthenticate/")
    response = client.post(url, {"confirmed": "1"})
    assert response["Location"].startswith("/comptes/reauthenticate/")
    assert (commits(), AuditEntry.objects.count()) == before
    assert Decision.objects.get(pk=granted.pk).published_at is None


def test_the_confirmation_page_shows_the_ledger_effect_then_publishes(
    client, granted, chair, credited
):
    reauthenticate(client, chair)
    before = available_account(credited).balance
    assert before == Decimal("5000.00")
    page = client.get(publish_url(granted))
    assert page.status_code == 200
    html = page.content.decode()
    assert granted.reference in html
    for amount in ("750", "5000", "4250"):
        assert euros(Decimal(amount)) in html
    assert "Confirmer la publication et l'engagement" in html
    assert 'name="form_once"' in html and 'name="csrfmiddlewaretoken"' in html
    assert commits() == 0  # showing the page writes nothing

    done = client.post(publish_url(granted), {"confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == f"/conseil/points/{granted.item_id}/"
    assert commits() == 1
    assert available_account(credited).balance == Decimal("4250.00")
    assert Decision.objects.get(pk=granted.pk).published_by == chair
    # Published: the page sends back to the item.
    assert client.get(publish_url(granted))["Location"] == f"/conseil/points/{granted.item_id}/"


def test_the_item_page_links_to_the_confirmation_and_no_longer_publishes_itself(
    client, granted, chair
):
    client.force_login(chair)
    item_url = f"/conseil/points/{granted.item_id}/"
    assert f'href="{publish_url(granted)}"' in client.get(item_url).content.decode()
    before = (commits(), AuditEntry.objects.count())
    assert client.post(item_url, {"action": "publish"}).status_code == 404
    assert (commits(), AuditEntry.objects.count()) == before


def test_the_confirmation_page_is_only_for_the_presiding_officer(client, granted, members, people):
    for user, password in [(members[1], PASSWORD), (people["instructor"], "motdepasse-test")]:
        reauthenticate(client, user, password)
        assert client.get(publish_url(granted)).status_code == 404
        assert client.post(publish_url(granted), {"confirmed": "1"}).status_code == 404
    assert commits() == 0


def test_a_fund_short_of_money_is_shown_and_the_publication_refused(
    client, opened, members, chair, item, fund
):
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="750")
    vote_cast(actor=chair, vote=vote, choice="for")
    vote_close(actor=chair, vote=vote)
    decision = decision_record(actor=chair, item=item)
    reauthenticate(client, chair)
    html = client.get(publish_url(decision)).content.decode()
    assert "ne dispose pas de ce montant" in html
    response = client.post(publish_url(decision), {"confirmed": "1"}, follow=True)
    assert "Publication impossible" in response.content.decode()
    assert commits() == 0


def test_the_vice_chair_publishes_a_grant_on_the_chairs_own_dossier(
    session, members, chair, vice, own_item, credited
):
    open_with(session, chair, [*members[:4], vice])
    run_vote(vice, own_item, {members[1]: "for", members[2]: "for"})
    decision = decision_record(actor=vice, item=own_item)
    assert decision_publish(actor=vice, decision=decision).published_by == vice
