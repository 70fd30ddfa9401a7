"""Invitations by email (accounts.invitations and /comptes/invitation/<token>/): the
account is created when the person accepts, with what the invitation offers, in one
transaction and once; links that no longer work answer a clear page, never a 500."""

import datetime
import hashlib
import re

import pytest
from allauth.account.models import EmailAddress
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accounts.errors import DomainError, PermissionDenied
from accounts.invitations import (
    _seal,
    _unseal,
    invitation_accept,
    invitation_cancel,
    invitation_send,
    invitation_signup,
    role_invite,
)
from accounts.models import AuditEntry, Invitation, RoleAssignment, User
from accounts.predicates import is_council_member_of, is_instructor_of
from accounts.roles import Role
from accounts.services import role_grant, role_revoke
from fonds.services import quartier_create
from tests.system import SYSTEM
from votes.models import Mandate
from votes.services import council_create, mandate_grant
from votes.services.councils import mandate_invite

pytestmark = pytest.mark.django_db

PASSWORD = "Bellerive-2026!"
LINK = re.compile(r"https?://[^/\s]+(/comptes/invitation/([A-Za-z0-9_-]+)/)")


@pytest.fixture
def admin(db):
    user = User.objects.create_user(email="admin@example.org", password="x" * 12)
    role_grant(actor=SYSTEM, user=user, role=Role.ADMINISTRATOR)
    return user


@pytest.fixture
def quartier(db):
    return quartier_create(actor=SYSTEM, name="Bellevue")


@pytest.fixture
def council(quartier):
    return council_create(actor=SYSTEM, quartier=quartier, name="Conseil de quartier Bellevue")


@pytest.fixture
def invite(admin, council, mailoutbox, django_capture_on_commit_callbacks):
    """``invite(email, **seat)``: a mandate invitation sent by the administrator; returns
    (invitation, path of the emailed link)."""

    def send(email="camille@example.org", **seat):
        seat = {"role": Mandate.Role.MEMBER, "starts_on": timezone.localdate()} | seat
        with django_capture_on_commit_callbacks(execute=True):
            invitation = mandate_invite(actor=admin, council=council, email=email, **seat)
        match = LINK.search(mailoutbox[-1].body)
        assert match, mailoutbox[-1].body
        return invitation, match.group(1)

    return send


def written():
    return {
        "users": list(User.objects.order_by("pk").values_list("pk", "email")),
        "addresses": EmailAddress.objects.count(),
        "mandates": list(Mandate.objects.order_by("pk").values()),
        "roles": list(RoleAssignment.objects.order_by("pk").values()),
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "audit": AuditEntry.objects.count(),
    }


def signup(client, path, **overrides):
    data = {"display_name": "Camille Dupont", "password1": PASSWORD, "password2": PASSWORD}
    return client.post(path, data | overrides)


# --- sending ----------------------------------------------------------------------------


def test_the_link_is_emailed_after_the_commit_and_only_its_hash_is_stored(
    admin, council, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://fonds.example.fr"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation = mandate_invite(
            actor=admin,
            council=council,
            email="Camille@Example.org",
            role=Mandate.Role.CITIZEN_MEMBER,
            starts_on=timezone.localdate(),
        )
    assert mailoutbox == [], "the email waits for the commit"
    for callback in callbacks:
        callback()

    token = invitation.token
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert token not in str(row)
    assert row["email"] == "camille@example.org"
    assert row["expires_at"] > timezone.now() + datetime.timedelta(days=13)
    (message,) = mailoutbox
    assert message.to == ["camille@example.org"]
    assert f"https://fonds.example.fr/comptes/invitation/{token}/" in message.body
    assert (
        "Conseiller·e citoyen·ne" in message.body and "Conseil de quartier Bellevue" in message.body
    )
    entry = AuditEntry.objects.get(action="accounts.invitation.send")
    assert entry.actor == admin and entry.target_id == str(invitation.pk)
    assert "camille@example.org" not in str(entry.data), "no address in the audit log"


def test_the_token_travels_to_the_email_task_sealed():
    sealed = _seal("un-jeton-de-test-assez-long")
    assert "un-jeton-de-test-assez-long" not in sealed
    assert _unseal(sealed) == "un-jeton-de-test-assez-long"


@pytest.mark.parametrize("actor", ["resident", "instructor"])
def test_only_administrators_invite(council, quartier, actor):
    person = User.objects.create_user(email=f"{actor}@example.org")
    if actor == "instructor":
        role_grant(actor=SYSTEM, user=person, role=Role.INSTRUCTOR, quartier=quartier)
    before = written()
    with pytest.raises(PermissionDenied):
        mandate_invite(
            actor=person,
            council=council,
            email="x@example.org",
            role=Mandate.Role.MEMBER,
            starts_on=timezone.localdate(),
        )
    with pytest.raises(PermissionDenied):
        role_invite(actor=person, email="x@example.org", role=Role.ADMINISTRATOR)
    assert written() == before


@pytest.mark.parametrize(
    ("email", "field"),
    [("pas-une-adresse", "email"), ("a\x00b@example.org", "email"), ("", "email")],
)
def test_a_bad_address_is_refused(admin, council, email, field):
    before = written()
    with pytest.raises(DomainError) as refused:
        mandate_invite(
            actor=admin,
            council=council,
            email=email,
            role=Mandate.Role.MEMBER,
            starts_on=timezone.localdate(),
        )
    assert refused.value.field == field
    assert written() == before


def test_an_unknown_kind_or_payload_is_refused(admin):
    before = written()
    with pytest.raises(DomainError):
        invitation_send(actor=admin, email="x@example.org", kind="empire", payload={})
    with pytest.raises(DomainError) as refused:
        invitation_send(
            actor=admin, email="x@example.org", kind="mandate", payload={"council": "abc"}
        )
    assert refused.value.field == "council"
    assert written() == before


def test_the_same_invitation_is_not_sent_twice(invite):
    invite()
    with pytest.raises(DomainError) as refused:
        invite()
    assert "attend déjà" in refused.value.message
    assert Invitation.objects.count() == 1


# --- accepting: a new account -------------------------------------------------------------


def test_accepting_creates_the_account_and_the_mandate_once(client, invite, council):
    invitation, path = invite()
    page = client.get(path)
    assert page.status_code == 200
    assert "Créer votre compte" in page.content.decode()

    response = signup(client, path)

    assert response.status_code == 302
    assert response.url == reverse("council_home")
    user = User.objects.get(email="camille@example.org")
    assert user.display_name == "Camille Dupont"
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("accounts_profile")).status_code == 200, "signed in"
    mandate = Mandate.objects.get(council=council, user=user)
    assert mandate.starts_on == timezone.localdate()
    assert is_council_member_of(user, council.quartier)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"accounts.user.create", "votes.mandate.grant", "accounts.invitation.accept"} <= actions
    grant = AuditEntry.objects.get(action="votes.mandate.grant", target_id=str(mandate.pk))
    assert grant.actor == invitation.invited_by, "granted by the administrator who invited"

    # A second click: nothing more is granted, the person is told plainly.
    before = written()
    again = signup(client, path)
    assert again.status_code == 200
    assert "déjà accepté" in again.content.decode()
    assert written() == before
    # From another browser, the link is spent.
    client.logout()
    spent = signup(client, path)
    assert spent.status_code == 410
    assert "déjà été acceptée" in spent.content.decode()
    assert written() == before


def test_a_double_click_runs_once(client, invite):
    _invitation, path = invite()
    data = {
        "display_name": "Camille Dupont",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "form_once": "un-seul-clic-suffit",
    }
    first = client.post(path, data)
    second = client.post(path, data)
    assert first.status_code == 302
    assert second.status_code in (200, 302)
    assert User.objects.filter(email="camille@example.org").count() == 1
    assert Mandate.objects.filter(user__email="camille@example.org").count() == 1


def test_the_service_itself_accepts_once(invite):
    invitation, _path = invite()
    user = invitation_signup(token=invitation.token, display_name="Camille", password=PASSWORD)
    before = written()
    with pytest.raises(DomainError) as refused:
        invitation_accept(token=invitation.token, user=user)
    assert refused.value.code == "accepted"
    with pytest.raises(DomainError):
        invitation_signup(token=invitation.token, display_name="Camille", password=PASSWORD)
    assert written() == before
    assert Mandate.objects.filter(user=user).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"password1": "court", "password2": "court"}, "password1", "trop court"),
        ({"password1": "12345678901234", "password2": "12345678901234"}, "password1", None),
        ({"password2": "Autre-mot-de-passe-2026"}, "password2", "pas identiques"),
        ({"display_name": ""}, "display_name", None),
        ({"display_name": "Camille\x00"}, "display_name", "caractère nul"),
        ({"display_name": "Camille\x1b[31m"}, "display_name", "caractère de contrôle"),
        ({"display_name": "x" * 121}, "display_name", None),
    ],
)
def test_bad_signup_input_is_refused_and_nothing_is_written(
    client, invite, overrides, field, message
):
    _invitation, path = invite()
    before = written()
    response = signup(client, path, **overrides)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field]
    if message:
        assert message in response.content.decode()
    assert f'aria-describedby="id_{field}-errors' in response.content.decode()
    assert written() == before
    assert not client.get(reverse("accounts_profile")).wsgi_request.user.is_authenticated


def test_a_seat_taken_since_the_invitation_rolls_the_account_back(client, invite, council, admin):
    _invitation, path = invite(role=Mandate.Role.CHAIR)
    chair = User.objects.create_user(email="maire@example.org")
    mandate_grant(
        actor=admin,
        council=council,
        user=chair,
        role=Mandate.Role.CHAIR,
        starts_on=timezone.localdate(),
    )
    before = written()
    response = signup(client, path)
    assert response.status_code == 200
    assert "Ce siège est déjà occupé" in response.content.decode()
    assert written() == before
    assert not User.objects.filter(email="camille@example.org").exists()


def test_a_seat_accepted_late_starts_the_day_of_acceptance(client, invite, council):
    start = timezone.localdate()
    _invitation, path = invite(starts_on=start)
    later = start + datetime.timedelta(days=5)
    with freeze_time(later):
        assert signup(client, path).status_code == 302
    mandate = Mandate.objects.get(user__email="camille@example.org")
    assert mandate.starts_on == later


def test_an_invitation_whose_sender_lost_the_right_is_refused(client, invite, admin):
    _invitation, path = invite()
    other = User.objects.create_user(email="admin2@example.org")
    role_grant(actor=SYSTEM, user=other, role=Role.ADMINISTRATOR)
    role_revoke(
        actor=other,
        assignment=RoleAssignment.objects.get(user=admin, role=Role.ADMINISTRATOR),
        reason="Départ",
    )
    before = written()
    response = signup(client, path)
    assert response.status_code == 200
    assert "n'en a plus le droit" in response.content.decode().replace("&#x27;", "'")
    assert written() == before


# --- accepting: an existing account ------------------------------------------------------------


def test_an_existing_account_signs_in_first_then_accepts(client, invite, council):
    person = User.objects.create_user(email="camille@example.org", password=PASSWORD)
    _invitation, path = invite()

    page = client.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    login = f"{reverse('account_login')}?next={path.replace('/', '%2F')}"
    assert login in html
    assert "Créer votre compte" not in html
    assert signup(client, path).status_code == 200
    assert not Mandate.objects.filter(user=person).exists()

    client.force_login(person)
    page = client.get(path)
    assert "Accepter l'invitation" in page.content.decode().replace("&#x27;", "'")
    response = client.post(path)
    assert response.status_code == 302
    assert Mandate.objects.filter(council=council, user=person).count() == 1
    assert User.objects.filter(email="camille@example.org").count() == 1


def test_someone_signed_in_with_another_address_cannot_accept(client, invite):
    _invitation, path = invite()
    intruder = User.objects.create_user(email="intrus@example.org")
    client.force_login(intruder)
    before = written()
    assert client.get(path).status_code == 403
    response = client.post(path)
    assert response.status_code == 403
    assert "autre adresse" in response.content.decode()
    assert written() == before
    with pytest.raises(PermissionDenied):
        invitation_accept(token=_invitation.token, user=intruder)


# --- links that no longer work -----------------------------------------------------------------


def test_an_expired_link_says_so(client, invite):
    _invitation, path = invite()
    with freeze_time(timezone.now() + datetime.timedelta(days=15)):
        response = client.get(path)
        assert response.status_code == 410
        assert "expiré" in response.content.decode()
        before = written()
        assert signup(client, path).status_code == 410
        assert written() == before


def test_a_cancelled_link_says_so(client, invite, admin):
    invitation, path = invite()
    invitation_cancel(actor=admin, invitation=invitation)
    before = written()
    response = signup(client, path)
    assert response.status_code == 410
    assert "annulée" in response.content.decode()
    assert written() == before
    with pytest.raises(DomainError):
        invitation_cancel(actor=admin, invitation=invitation)


@pytest.mark.parametrize(
    "token",
    ["inconnu", "A" * 43, "A" * 300, "%00" * 30, "abc%C3%A9" * 5, "..%2F..%2Fetc"],
)
def test_an_unknown_link_is_not_found(client, invite, token):
    invite()
    before = written()
    response = client.get(f"/comptes/invitation/{token}/")
    assert response.status_code == 404
    response = client.post(f"/comptes/invitation/{token}/", {"display_name": "X"})
    assert response.status_code == 404
    assert written() == before


# --- the staff-role kind -------------------------------------------------------------------------


def test_a_staff_role_invitation_grants_the_role_on_acceptance(
    client, admin, quartier, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        role_invite(actor=admin, email="agent@example.org", role=Role.INSTRUCTOR, quartier=quartier)
    assert "Agent instructeur" in mailoutbox[0].body and "Bellevue" in mailoutbox[0].body
    path = LINK.search(mailoutbox[0].body).group(1)
    response = signup(client, path, display_name="Agent Dupont")
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    agent = User.objects.get(email="agent@example.org")
    assert is_instructor_of(agent, quartier)
    assert client.get(reverse("fonds_backoffice_queue")).status_code == 200


def test_the_acceptance_is_atomic(invite, monkeypatch):
    """A failure after the mandate is written leaves no account, no mandate, no row."""
    invitation, _path = invite()
    before = written()

    from accounts import invitations

    real = invitations.audit_record

    def broken(**kwargs):
        if kwargs["action"] == "accounts.invitation.accept":
            assert Mandate.objects.filter(user__email="camille@example.org").exists()
            raise RuntimeError("the disk is full")
        return real(**kwargs)

    monkeypatch.setattr(invitations, "audit_record", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        invitation_signup(token=invitation.token, display_name="Camille", password=PASSWORD)
    assert written() == before
