"""Staff roles in the Wagtail admin (/cms/roles/): administrators grant and revoke the
instructor and administrator roles, to an existing account or by invitation; the
person's access follows at once. Nobody else reaches the page; refusals write
nothing."""

import datetime
import re

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.menu import admin_menu

from accounts.models import AuditEntry, Invitation, RoleAssignment, User
from accounts.roles import Role
from accounts.services import role_grant
from fonds.services import quartier_create
from tests.system import SYSTEM

pytestmark = pytest.mark.django_db

ROLES = reverse("accounts_roles")
GRANT = reverse("accounts_role_grant")
INVITE = reverse("accounts_role_invite")
QUEUE = reverse("fonds_backoffice_queue")


def revoke_url(assignment):
    return reverse("accounts_role_revoke", args=[assignment.pk])


def written():
    return {
        "users": list(User.objects.order_by("pk").values_list("pk", "email", "is_staff")),
        "roles": list(RoleAssignment.objects.order_by("pk").values()),
        "groups": sorted(User.groups.through.objects.values_list("user_id", "group_id")),
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "audit": AuditEntry.objects.count(),
    }


@pytest.fixture
def quartier(db):
    return quartier_create(actor=SYSTEM, name="Bellevue")


@pytest.fixture
def other_quartier(db):
    return quartier_create(actor=SYSTEM, name="Les Tilleuls")


def _person(email, role=None, quartier=None):
    user = User.objects.create_user(email=email, password="x" * 12)
    if role is not None:
        role_grant(actor=SYSTEM, user=user, role=role, quartier=quartier)
    return user


@pytest.fixture
def admin(db):
    return _person("admin@example.org", Role.ADMINISTRATOR)


@pytest.fixture
def instructor(quartier):
    return _person("agent@example.org", Role.INSTRUCTOR, quartier)


@pytest.fixture
def resident(db):
    return _person("voisine@example.org")


def grant_data(who, **overrides):
    data = {
        "attribuer-person": who.email if isinstance(who, User) else who,
        "attribuer-role": Role.INSTRUCTOR,
        "attribuer-quartier": "",
        "attribuer-starts_on": timezone.localdate().isoformat(),
        "attribuer-ends_on": "",
    }
    data.update({f"attribuer-{key}": value for key, value in overrides.items()})
    return data


def as_user(client, user):
    client.force_login(user)
    return client


# --- who reaches the page ------------------------------------------------------------------


def test_the_page_lists_roles_in_force_and_past(client, admin, instructor, quartier):
    old = _person("ancien@example.org", Role.INSTRUCTOR, quartier)
    RoleAssignment.objects.filter(user=old).update(
        revoked_at=timezone.now(), revoked_reason="Mutation"
    )
    later = _person("futur@example.org")
    role_grant(
        actor=SYSTEM,
        user=later,
        role=Role.INSTRUCTOR,
        starts_on=timezone.localdate() + datetime.timedelta(days=7),
    )
    response = as_user(client, admin).get(ROLES)
    assert response.status_code == 200
    people = {row["user"].email: row for row in response.context["people"]}
    assert [a.role for a in people["agent@example.org"]["current"]] == [Role.INSTRUCTOR]
    assert people["ancien@example.org"]["current"] == []
    assert len(people["ancien@example.org"]["past"]) == 1
    assert len(people["futur@example.org"]["upcoming"]) == 1
    html = response.content.decode()
    assert "Mutation" in html and "Bellevue" in html and "tous les quartiers" in html


def test_instructors_are_refused_the_page(client, instructor, resident):
    client = as_user(client, instructor)
    before = written()
    assert client.get(ROLES).status_code == 403
    assert client.post(GRANT, grant_data(resident)).status_code == 403
    assert client.post(INVITE, {"inviter-email": "x@example.org"}).status_code == 403
    assignment = RoleAssignment.objects.get(user=instructor)
    assert client.post(revoke_url(assignment), {"reason": "Moi-même"}).status_code == 403
    assert written() == before


@pytest.mark.parametrize("who", ["resident", None])
def test_residents_and_visitors_are_sent_to_log_in(client, resident, admin, who):
    if who:
        client.force_login(resident)
    before = written()
    for url in (ROLES, GRANT, INVITE):
        response = client.get(url) if url == ROLES else client.post(url, grant_data(resident))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    assert written() == before


def _menu_names(user):
    request = RequestFactory().get("/cms/")
    request.user = user
    return {item.name for item in admin_menu.menu_items_for_request(request)}


def test_the_menu_shows_the_page_to_administrators_only(admin, instructor):
    assert "roles-du-personnel" in _menu_names(admin)
    assert "roles-du-personnel" not in _menu_names(instructor)


# --- granting and revoking ----------------------------------------------------------------------


def test_granting_a_role_opens_the_back_office_at_once(client, admin, resident, quartier):
    visitor = type(client)()
    visitor.force_login(resident)
    assert visitor.get("/cms/").status_code == 302

    response = as_user(client, admin).post(GRANT, grant_data(resident, quartier=quartier.pk))

    assert response.status_code == 302
    assignment = RoleAssignment.objects.get(user=resident)
    assert assignment.role == Role.INSTRUCTOR and assignment.quartier == quartier
    assert AuditEntry.objects.filter(
        action="accounts.role.grant", target_id=str(resident.pk), actor=admin
    ).exists()
    assert visitor.get("/cms/").status_code == 200
    assert visitor.get(QUEUE).status_code == 200


def test_revoking_a_role_closes_the_back_office_at_once(client, admin, instructor):
    visitor = type(client)()
    visitor.force_login(instructor)
    assert visitor.get("/cms/").status_code == 200
    assert visitor.get(QUEUE).status_code == 200
    assignment = RoleAssignment.objects.get(user=instructor)

    client = as_user(client, admin)
    assert "Retirer ce rôle" in client.get(revoke_url(assignment)).content.decode()
    response = client.post(revoke_url(assignment), {"reason": "Changement de service"})

    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.revoked_at is not None
    assert assignment.revoked_reason == "Changement de service"
    assert AuditEntry.objects.filter(action="accounts.role.revoke", actor=admin).exists()
    for url in ("/cms/", QUEUE):
        response = visitor.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("account_login"))


def test_revoking_an_administrator_removes_the_admin_pages(client, admin):
    second = _person("admin2@example.org", Role.ADMINISTRATOR)
    visitor = type(client)()
    visitor.force_login(second)
    assert visitor.get(ROLES).status_code == 200
    assignment = RoleAssignment.objects.get(user=second)
    response = as_user(client, admin).post(revoke_url(assignment), {"reason": "Départ"})
    assert response.status_code == 302
    assert visitor.get(ROLES).status_code == 302
    assert visitor.get("/cms/").status_code == 302


def test_an_administrator_does_not_revoke_their_own_role(client, admin):
    assignment = RoleAssignment.objects.get(user=admin)
    before = written()
    response = as_user(client, admin).post(revoke_url(assignment), {"reason": "Je pars"})
    assert response.status_code == 200
    assert "Un autre administrateur doit vous retirer ce rôle." in response.content.decode()
    assert written() == before


@pytest.mark.parametrize(
    ("reason", "message"),
    [("", "Indiquez le motif"), ("Dé\x00part", "caractère nul"), ("Dé\x1bpart", "contrôle")],
)
def test_a_revocation_needs_a_clean_reason(client, admin, instructor, reason, message):
    assignment = RoleAssignment.objects.get(user=instructor)
    before = written()
    response = as_user(client, admin).post(revoke_url(assignment), {"reason": reason})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert written() == before


def test_a_revoked_role_cannot_be_revoked_again(client, admin, instructor):
    assignment = RoleAssignment.objects.get(user=instructor)
    client = as_user(client, admin)
    client.post(revoke_url(assignment), {"reason": "Départ"})
    before = written()
    response = client.post(revoke_url(assignment), {"reason": "Encore"})
    assert response.status_code == 200
    assert "Ce rôle est déjà retiré." in response.content.decode()
    assert written() == before


def test_the_same_role_twice_is_refused(client, admin, instructor, quartier):
    before = written()
    response = as_user(client, admin).post(GRANT, grant_data(instructor, quartier=quartier.pk))
    assert response.status_code == 200
    assert "Cette personne a déjà ce rôle pour ce périmètre." in response.content.decode()
    assert written() == before


def test_a_role_ending_before_it_starts_is_refused(client, admin, resident):
    before = written()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = as_user(client, admin).post(GRANT, grant_data(resident, ends_on=yesterday))
    assert response.status_code == 200
    assert response.context["grant_form"].errors["ends_on"]
    assert "Le dernier jour précède le premier." in response.content.decode()
    assert written() == before


@pytest.mark.parametrize(
    "bad",
    [
        {"quartier": "abc"},
        {"quartier": "999999"},
        {"quartier": "1 OR 1=1"},
        {"role": "chair"},
        {"role": "superuser"},
        {"person": "inconnu@example.org"},
        {"person": "voisine\x00@example.org"},
        {"starts_on": "31/02/2026"},
    ],
)
def test_bad_input_is_a_form_error(client, admin, resident, bad):
    before = written()
    response = as_user(client, admin).post(GRANT, grant_data(resident, **bad))
    assert response.status_code == 200
    assert response.context["grant_form"].errors
    assert written() == before


def test_unknown_and_non_numeric_ids_are_not_found(client, admin):
    client = as_user(client, admin)
    for url in (
        reverse("accounts_role_revoke", args=[999999]),
        reverse("accounts_staff_invitation_cancel", args=[999999]),
        "/cms/roles/abc/retirer/",
        "/cms/roles/invitations/abc/annuler/",
    ):
        assert client.post(url, {"reason": "x"}).status_code == 404, url


# --- inviting by email ------------------------------------------------------------------------


def test_an_invitation_to_a_role_is_sent_listed_and_cancelled(
    client, admin, quartier, mailoutbox, django_capture_on_commit_callbacks
):
    client = as_user(client, admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            INVITE,
            {
                "inviter-email": "nouvel-agent@example.org",
                "inviter-role": Role.INSTRUCTOR,
                "inviter-quartier": quartier.pk,
                "inviter-starts_on": timezone.localdate().isoformat(),
            },
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.kind == "staff_role"
    assert invitation.payload["quartier"] == quartier.pk
    assert not User.objects.filter(email="nouvel-agent@example.org").exists()
    path = re.search(r"https?://[^/\s]+(/comptes/invitation/[^\s/]+/)", mailoutbox[0].body)[1]
    assert "nouvel-agent@example.org" in client.get(ROLES).content.decode()

    response = client.post(reverse("accounts_staff_invitation_cancel", args=[invitation.pk]))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.cancelled_at is not None
    client.logout()
    assert client.get(path).status_code == 410


def test_a_mandate_invitation_is_not_cancelled_from_the_roles_page(client, admin, quartier):
    from votes.services import council_create
    from votes.services.councils import mandate_invite

    council = council_create(actor=SYSTEM, quartier=quartier, name="Conseil Bellevue")
    invitation = mandate_invite(
        actor=admin,
        council=council,
        email="x@example.org",
        role="member",
        starts_on=timezone.localdate(),
    )
    response = as_user(client, admin).post(
        reverse("accounts_staff_invitation_cancel", args=[invitation.pk])
    )
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.cancelled_at is None


def test_a_bad_invitation_is_refused(client, admin, mailoutbox):
    before = written()
    response = as_user(client, admin).post(
        INVITE,
        {
            "inviter-email": "pas une adresse",
            "inviter-role": Role.ADMINISTRATOR,
            "inviter-starts_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.context["invite_form"].errors["email"]
    assert written() == before
    assert mailoutbox == []
