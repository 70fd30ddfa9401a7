"""Councils and their composition in the Wagtail admin (/cms/conseils/): administrators
create and edit councils and grant, end and invite to mandates, through the services;
instructors read; nobody else reaches the pages. Every refusal writes nothing."""

import datetime

import pytest
from django.test import RequestFactory
from django.urls import reverse
from freezegun import freeze_time
from wagtail.admin.menu import admin_menu

from accounts.models import AuditEntry, Invitation, User
from accounts.predicates import is_council_member_of
from tests.system import SYSTEM
from tests.votes.conftest import db_state
from votes.models import Council, Mandate
from votes.services import council_create, mandate_grant

pytestmark = pytest.mark.django_db

INDEX = reverse("conseils:index")
ADD = reverse("conseils:add")
TODAY = datetime.date.today


def composition_url(council):
    return reverse("conseils:composition", args=[council.pk])


def grant_url(council):
    return reverse("conseils:mandate_grant", args=[council.pk])


def invite_url(council):
    return reverse("conseils:mandate_invite", args=[council.pk])


def end_url(council, mandate):
    return reverse("conseils:mandate_end", args=[council.pk, mandate.pk])


def state():
    """What the composition pages could write, read fresh."""
    return {
        **db_state(),
        "users": list(User.objects.order_by("pk").values_list("pk", "email")),
        "invitations": list(Invitation.objects.order_by("pk").values()),
    }


def as_user(client, user):
    client.force_login(user)
    return client


def council_data(**overrides):
    data = {
        "name": "Conseil citoyen des Tilleuls",
        "kind": Council.Kind.CITIZEN,
        "quorum_rule": Council.QuorumRule.ONE_THIRD,
        "majority_rule": Council.MajorityRule.VOTES_CAST,
        "chair_casting_vote": "on",
    }
    data.update(overrides)
    return data


def grant_data(user, **overrides):
    data = {
        "attribuer-person": user.email if isinstance(user, User) else user,
        "attribuer-role": Mandate.Role.MEMBER,
        "attribuer-starts_on": TODAY().isoformat(),
        "attribuer-ends_on": "",
    }
    data.update({f"attribuer-{key}": value for key, value in overrides.items()})
    return data


def html(response):
    return response.content.decode()


@pytest.fixture
def newcomer(db):
    return User.objects.create_user(
        email="nouveau@example.org", password="x" * 12, display_name="Nina Nouveau"
    )


@pytest.fixture
def other_council(other_quartier):
    return council_create(actor=SYSTEM, quartier=other_quartier, name="Conseil des Tilleuls")


# --- creating and editing a council --------------------------------------------------------


def test_administrator_creates_a_council_through_the_service(client, people, other_quartier):
    admin = people["administrator"]
    response = as_user(client, admin).post(ADD, council_data(quartier=other_quartier.pk))

    council = Council.objects.get(quartier=other_quartier)
    assert response.status_code == 302
    assert response.url == composition_url(council)
    assert council.kind == Council.Kind.CITIZEN
    assert council.quorum_rule == Council.QuorumRule.ONE_THIRD
    entry = AuditEntry.objects.get(action="votes.council.create", target_id=str(council.pk))
    assert entry.actor == admin
    assert entry.data["quorum_rule"] == Council.QuorumRule.ONE_THIRD


def test_the_add_form_offers_only_quartiers_without_a_council(client, people, council):
    response = as_user(client, people["administrator"]).get(ADD)
    assert response.status_code == 200
    offered = list(response.context["form"].fields["quartier"].queryset)
    assert council.quartier not in offered


def test_a_second_council_for_a_quartier_is_refused(client, people, council):
    before = state()
    response = as_user(client, people["administrator"]).post(
        ADD, council_data(quartier=council.quartier.pk)
    )
    assert response.status_code == 200
    assert "Choisissez un quartier qui n&#x27;a pas encore de conseil." in html(response)
    assert state() == before


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Conseil\x00", "caractère nul"),
        ("Conseil\x07 sonore", "Ce champ tient sur une ligne"),
        ("   ", None),
    ],
)
def test_a_bad_council_name_is_refused(client, people, other_quartier, name, message):
    before = state()
    response = as_user(client, people["administrator"]).post(
        ADD, council_data(quartier=other_quartier.pk, name=name)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert message is None or message in html(response)
    assert state() == before


def test_an_unknown_rule_or_quartier_is_a_form_error(client, people, other_quartier):
    client = as_user(client, people["administrator"])
    before = state()
    for data in (
        council_data(quartier=other_quartier.pk, quorum_rule="tirage au sort"),
        council_data(quartier="abc"),
        council_data(quartier=999999),
    ):
        response = client.post(ADD, data)
        assert response.status_code == 200
        assert response.context["form"].errors
    assert state() == before


def test_administrator_edits_a_council_through_the_service(client, people, council):
    admin = people["administrator"]
    response = as_user(client, admin).post(
        reverse("conseils:edit", args=[council.pk]),
        council_data(name="Conseil de quartier de Bellevue", chair_casting_vote=""),
    )
    assert response.status_code == 302
    council.refresh_from_db()
    assert council.name == "Conseil de quartier de Bellevue"
    assert council.chair_casting_vote is False
    entry = AuditEntry.objects.get(action="votes.council.update", target_id=str(council.pk))
    assert entry.actor == admin
    assert entry.data["chair_casting_vote"] == [True, False]
    assert entry.data["name"][1] == "Conseil de quartier de Bellevue"


def test_a_council_cannot_be_deleted_from_the_admin(client, people, council):
    response = as_user(client, people["administrator"]).post(
        reverse("conseils:delete", args=[council.pk])
    )
    assert response.status_code == 302
    assert Council.objects.filter(pk=council.pk).exists()


# --- who reaches the pages ---------------------------------------------------------------------


def test_instructor_reads_councils_and_compositions(client, people, council, members):
    client = as_user(client, people["instructor"])
    response = client.get(INDEX)
    assert response.status_code == 200
    assert council.name in html(response)
    response = client.get(composition_url(council))
    assert response.status_code == 200
    assert "Jean Moreau" in html(response)
    # Reading only: no form, no invitation list.
    assert "Attribuer le mandat" not in html(response)
    assert "Mettre fin au mandat" not in html(response)


def test_instructor_changes_nothing(client, people, council, members, newcomer):
    client = as_user(client, people["instructor"])
    mandate = Mandate.objects.filter(council=council).first()
    before = state()

    assert client.get(ADD).status_code == 302
    response = client.post(reverse("conseils:edit", args=[council.pk]), council_data(name="Piraté"))
    assert response.status_code == 302
    assert client.post(grant_url(council), grant_data(newcomer)).status_code == 403
    response = client.post(invite_url(council), {"inviter-email": "x@example.org"})
    assert response.status_code == 403
    assert client.get(end_url(council, mandate)).status_code == 403
    response = client.post(end_url(council, mandate), {"ends_on": TODAY(), "reason": "Non."})
    assert response.status_code == 403

    assert state() == before


@pytest.mark.parametrize("who", ["resident", "council_member", "chair", None])
def test_others_are_sent_to_log_in(client, people, council, members, newcomer, who):
    if who:
        client.force_login(people[who])
    before = state()
    for url in (INDEX, ADD, composition_url(council)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    response = client.post(grant_url(council), grant_data(newcomer))
    assert response.status_code == 302
    assert state() == before


def test_a_member_of_the_council_is_no_reader_of_the_admin(client, council, members):
    """A mandate gives council rights, not the admin."""
    response = as_user(client, members[0]).get(composition_url(council))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def _menu_names(user):
    request = RequestFactory().get("/cms/")
    request.user = user
    return {item.name for item in admin_menu.menu_items_for_request(request)}


def test_the_menu_shows_councils_to_instructors_and_administrators(people):
    assert "conseils" in _menu_names(people["administrator"])
    assert "conseils" in _menu_names(people["instructor"])
    assert "conseils" not in _menu_names(people["resident"])


# --- the composition -------------------------------------------------------------------------


def test_composition_shows_current_past_and_future_members(client, people, council, members):
    today = TODAY()
    gone = User.objects.create_user(email="ancien@example.org", display_name="Ancien Membre")
    mandate_grant(
        actor=SYSTEM,
        council=council,
        user=gone,
        role=Mandate.Role.MEMBER,
        starts_on=today - datetime.timedelta(days=400),
        ends_on=today - datetime.timedelta(days=10),
    )
    Mandate.objects.filter(user=gone).update(end_reason="Déménagement")
    later = User.objects.create_user(email="futur@example.org", display_name="Futur Membre")
    mandate_grant(
        actor=SYSTEM,
        council=council,
        user=later,
        role=Mandate.Role.CITIZEN_MEMBER,
        starts_on=today + datetime.timedelta(days=10),
    )

    response = as_user(client, people["administrator"]).get(composition_url(council))

    composition = response.context["composition"]
    assert [m.user for m in composition["current"]][0] == members[0]  # the chair first
    assert set(m.user for m in composition["current"]) == set(members)
    assert [m.user for m in composition["past"]] == [gone]
    assert [m.user for m in composition["upcoming"]] == [later]
    page = html(response)
    assert "Déménagement" in page
    assert "Maire de quartier (préside)" in page
    assert "Membre de droit, sans voix délibérative" in page
    assert "Anciens membres" in page and "Mandats à venir" in page


def test_administrator_grants_a_mandate_to_an_existing_account(
    client, people, council, members, newcomer
):
    admin = people["administrator"]
    response = as_user(client, admin).post(
        grant_url(council), grant_data(newcomer, role=Mandate.Role.CITIZEN_MEMBER)
    )
    assert response.status_code == 302
    assert response.url == composition_url(council)
    mandate = Mandate.objects.get(council=council, user=newcomer)
    assert mandate.role == Mandate.Role.CITIZEN_MEMBER
    assert mandate.starts_on == TODAY() and mandate.ends_on is None
    assert AuditEntry.objects.filter(
        action="votes.mandate.grant", target_id=str(mandate.pk), actor=admin
    ).exists()
    assert is_council_member_of(User.objects.get(pk=newcomer.pk), council.quartier)


def test_the_email_is_matched_whatever_its_case(client, people, council, newcomer):
    response = as_user(client, people["administrator"]).post(
        grant_url(council), grant_data(" Nouveau@Example.ORG ")
    )
    assert response.status_code == 302
    assert Mandate.objects.filter(council=council, user=newcomer).exists()


def test_an_address_without_an_account_is_a_form_error(client, people, council):
    before = state()
    response = as_user(client, people["administrator"]).post(
        grant_url(council), grant_data("personne@example.org")
    )
    assert response.status_code == 200
    assert "Aucun compte n&#x27;utilise cette adresse" in html(response)
    assert 'aria-describedby="id_attribuer-person-errors' in html(response)
    assert state() == before


def test_an_overlapping_mandate_is_refused(client, people, council, members):
    before = state()
    response = as_user(client, people["administrator"]).post(
        grant_url(council),
        grant_data(members[1], starts_on=(TODAY() + datetime.timedelta(days=3)).isoformat()),
    )
    assert response.status_code == 200
    assert "Cette personne a déjà un mandat sur ce conseil pour ces dates." in html(response)
    assert response.context["grant_form"].errors["person"]
    assert state() == before


def test_a_second_chair_is_refused(client, people, council, members, newcomer):
    before = state()
    response = as_user(client, people["administrator"]).post(
        grant_url(council), grant_data(newcomer, role=Mandate.Role.CHAIR)
    )
    assert response.status_code == 200
    assert "Ce siège est déjà occupé pour ces dates" in html(response)
    assert response.context["grant_form"].errors["role"]
    assert state() == before


def test_a_mandate_ending_before_it_starts_is_refused(client, people, council, newcomer):
    before = state()
    response = as_user(client, people["administrator"]).post(
        grant_url(council),
        grant_data(newcomer, ends_on=(TODAY() - datetime.timedelta(days=1)).isoformat()),
    )
    assert response.status_code == 200
    assert "La fin du mandat précède son début." in html(response)
    assert response.context["grant_form"].errors["ends_on"]
    assert state() == before


@pytest.mark.parametrize(
    "bad",
    [
        {"role": "empereur"},
        {"role": "\x00"},
        {"starts_on": "2026-02-30"},
        {"starts_on": "demain"},
        {"person": "pas-une-adresse"},
        {"person": "a\x00@example.org"},
    ],
)
def test_bad_input_in_a_grant_is_a_form_error(client, people, council, newcomer, bad):
    before = state()
    response = as_user(client, people["administrator"]).post(
        grant_url(council), grant_data(newcomer, **bad)
    )
    assert response.status_code == 200
    assert response.context["grant_form"].errors
    assert state() == before


# --- ending a mandate early ----------------------------------------------------------------------


def test_ending_a_mandate_today_takes_the_seat_away_tomorrow(client, people, council, members):
    member = members[1]
    mandate = Mandate.objects.get(council=council, user=member)
    today = TODAY()
    response = as_user(client, people["administrator"]).post(
        end_url(council, mandate), {"ends_on": today.isoformat(), "reason": "Démission"}
    )
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert mandate.ends_on == today
    assert mandate.end_reason == "Démission"
    assert AuditEntry.objects.filter(action="votes.mandate.end", target_id=str(mandate.pk))

    assert is_council_member_of(User.objects.get(pk=member.pk), council.quartier)
    with freeze_time(today + datetime.timedelta(days=1)):
        assert not is_council_member_of(User.objects.get(pk=member.pk), council.quartier)


def test_ending_a_mandate_yesterday_ends_it_at_once(client, people, council, members):
    member = members[2]
    mandate = Mandate.objects.get(council=council, user=member)
    yesterday = TODAY() - datetime.timedelta(days=1)
    client = as_user(client, people["administrator"])
    # The form proposes yesterday.
    assert client.get(end_url(council, mandate)).context["form"].initial["ends_on"] == yesterday
    response = client.post(
        end_url(council, mandate), {"ends_on": yesterday.isoformat(), "reason": "Déménagement"}
    )
    assert response.status_code == 302
    assert not is_council_member_of(User.objects.get(pk=member.pk), council.quartier)
    composition = client.get(composition_url(council)).context["composition"]
    assert mandate.pk in [m.pk for m in composition["past"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ends_on": "", "reason": "Démission"}, None),
        ({"ends_on": "{today}", "reason": ""}, "Indiquez le motif"),
        ({"ends_on": "{today}", "reason": "Dé\x00mission"}, "caractère nul"),
        ({"ends_on": "{today}", "reason": "Dé\x1bmission"}, "caractère de contrôle"),
        ({"ends_on": "{long_ago}", "reason": "Démission"}, "La fin du mandat précède son début."),
        ({"ends_on": "{last_week}", "reason": "Démission"}, "au plus tôt hier soir"),
    ],
)
def test_a_bad_early_end_is_refused(client, people, council, members, data, message):
    mandate = Mandate.objects.get(council=council, user=members[1])
    today = TODAY()
    dates = {
        "today": today.isoformat(),
        "long_ago": (today - datetime.timedelta(days=800)).isoformat(),
        "last_week": (today - datetime.timedelta(days=7)).isoformat(),
    }
    data = {key: value.format(**dates) for key, value in data.items()}
    before = state()
    response = as_user(client, people["administrator"]).post(end_url(council, mandate), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert message is None or message in html(response)
    assert state() == before


def test_an_ended_mandate_offers_no_form(client, people, council, members):
    mandate = Mandate.objects.get(council=council, user=members[1])
    Mandate.objects.filter(pk=mandate.pk).update(ends_on=TODAY() - datetime.timedelta(days=2))
    client = as_user(client, people["administrator"])
    before = state()
    response = client.post(end_url(council, mandate), {"ends_on": TODAY(), "reason": "Encore"})
    assert response.status_code == 200
    assert "Ce mandat a déjà pris fin." in html(response)
    assert state() == before


# --- ids that do not belong ---------------------------------------------------------------------


def test_another_councils_mandate_is_not_found(client, people, council, members, other_council):
    stranger = User.objects.create_user(email="tilleuls@example.org")
    foreign = mandate_grant(
        actor=SYSTEM,
        council=other_council,
        user=stranger,
        role=Mandate.Role.MEMBER,
        starts_on=TODAY(),
    )
    client = as_user(client, people["administrator"])
    before = state()
    assert client.get(end_url(council, foreign)).status_code == 404
    response = client.post(end_url(council, foreign), {"ends_on": TODAY(), "reason": "Non"})
    assert response.status_code == 404
    assert state() == before


def test_unknown_and_non_numeric_ids_are_not_found(client, people, council, members):
    client = as_user(client, people["administrator"])
    mandate = Mandate.objects.filter(council=council).first()
    for url in (
        reverse("conseils:composition", args=[999999]),
        reverse("conseils:mandate_grant", args=[999999]),
        reverse("conseils:mandate_end", args=[council.pk, 999999]),
        reverse("conseils:mandate_end", args=[999999, mandate.pk]),
        reverse("conseils:invitation_cancel", args=[council.pk, 999999]),
        "/cms/conseils/abc/composition/",
        f"/cms/conseils/{council.pk}/composition/mandats/abc/fin/",
        f"/cms/conseils/{council.pk}/composition/mandats/1e3/fin/",
    ):
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"ends_on": TODAY(), "reason": "x"}).status_code == 404, url


# --- invitations from the composition page ---------------------------------------------------


def test_administrator_invites_by_email_and_sees_the_invitation(
    client, people, council, mailoutbox, django_capture_on_commit_callbacks
):
    client = as_user(client, people["administrator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            invite_url(council),
            {
                "inviter-email": "Camille@Example.org",
                "inviter-role": Mandate.Role.MEMBER,
                "inviter-starts_on": TODAY().isoformat(),
                "inviter-ends_on": "",
            },
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "camille@example.org"
    assert invitation.kind == "mandate"
    assert invitation.payload["council"] == council.pk
    assert invitation.invited_by == people["administrator"]
    assert AuditEntry.objects.filter(
        action="accounts.invitation.send", target_id=str(invitation.pk)
    ).exists()
    assert [message.to for message in mailoutbox] == [["camille@example.org"]]
    assert "Conseiller·e de quartier" in mailoutbox[0].body
    assert not Mandate.objects.filter(user__email="camille@example.org").exists()
    assert not User.objects.filter(email="camille@example.org").exists()

    page = html(client.get(composition_url(council)))
    assert "camille@example.org" in page and "En attente" in page


def test_an_invitation_to_a_taken_seat_is_refused(client, people, council, members, mailoutbox):
    before = state()
    response = as_user(client, people["administrator"]).post(
        invite_url(council),
        {
            "inviter-email": "camille@example.org",
            "inviter-role": Mandate.Role.CHAIR,
            "inviter-starts_on": TODAY().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "Ce siège est déjà occupé" in html(response)
    assert response.context["invite_form"].errors["role"]
    assert state() == before
    assert mailoutbox == []


def test_an_invitation_is_cancelled_from_the_composition(client, people, council, other_council):
    from votes.services.councils import mandate_invite

    admin = people["administrator"]
    invitation = mandate_invite(
        actor=admin,
        council=council,
        email="camille@example.org",
        role=Mandate.Role.MEMBER,
        starts_on=TODAY(),
    )
    client = as_user(client, admin)
    # Not through another council's address.
    foreign = reverse("conseils:invitation_cancel", args=[other_council.pk, invitation.pk])
    assert client.post(foreign).status_code == 404
    response = client.post(reverse("conseils:invitation_cancel", args=[council.pk, invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.cancelled_at is not None
    assert AuditEntry.objects.filter(
        action="accounts.invitation.cancel", target_id=str(invitation.pk)
    ).exists()
    assert "Annulée le" in html(client.get(composition_url(council)))


def test_the_council_list_links_to_each_composition(client, people, council):
    response = as_user(client, people["administrator"]).get(INDEX)
    assert composition_url(council) in html(response)
    assert reverse("conseils:edit", args=[council.pk]) in html(response)
    response = as_user(client, people["instructor"]).get(INDEX)
    assert composition_url(council) in html(response)
    assert reverse("conseils:edit", args=[council.pk]) not in html(response)
