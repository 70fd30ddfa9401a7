import pytest

from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry, User
from accounts.services import profile_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(demo):
    return User.objects.get(email="habitante@demo.fonds-quartiers.fr")


@pytest.fixture
def other(demo):
    return User.objects.get(email="conseillere@demo.fonds-quartiers.fr")


def test_email_is_the_login_and_is_normalised(db):
    user = User.objects.create_user(email="Anne.Lopez@Example.ORG", password="x" * 12)
    assert user.email == "anne.lopez@example.org"
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username") or user.username is None


def test_profile_update_changes_and_audits(resident, demo):
    target = demo["quartiers"][2]
    before = AuditEntry.objects.count()
    profile_update(
        actor=resident, user=resident, display_name="Camille D.", quartier=target, language="en"
    )
    resident.refresh_from_db()
    assert (resident.display_name, resident.quartier, resident.language) == (
        "Camille D.",
        target,
        "en",
    )
    entry = AuditEntry.objects.latest("id")
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "accounts.profile.update"
    assert entry.actor == resident
    assert entry.target_id == str(resident.pk)
    # The name lives in the account row only: the append-only log says it changed.
    assert entry.data["display_name"] == "changed"
    assert "Camille" not in str(entry.data)
    assert entry.data["quartier"][1] == target.pk
    assert resident.history.count() >= 2  # django-simple-history keeps each version


def test_profile_update_without_change_writes_nothing(resident):
    before = AuditEntry.objects.count()
    profile_update(
        actor=resident,
        user=resident,
        display_name=resident.display_name,
        quartier=resident.quartier,
        language=resident.language,
    )
    assert AuditEntry.objects.count() == before


def test_nobody_else_may_update_a_profile(resident, other):
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        profile_update(actor=other, user=resident, display_name="X", quartier=None, language="fr")
    resident.refresh_from_db()
    assert resident.display_name == "Camille Durand"
    assert AuditEntry.objects.count() == before


def test_an_administrator_may_update_a_profile(resident, demo):
    admin = User.objects.get(email="admin@demo.fonds-quartiers.fr")
    profile_update(actor=admin, user=resident, display_name="C. D.", quartier=None, language="fr")
    resident.refresh_from_db()
    assert resident.display_name == "C. D."
    assert AuditEntry.objects.latest("id").actor == admin


@pytest.mark.parametrize(
    ("display_name", "language"), [("x" * 121, "fr"), ("Camille", "de"), ("Camille", "")]
)
def test_bad_profile_input_is_refused_and_nothing_written(resident, display_name, language):
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError):
        profile_update(
            actor=resident,
            user=resident,
            display_name=display_name,
            quartier=None,
            language=language,
        )
    resident.refresh_from_db()
    assert resident.display_name == "Camille Durand"
    assert AuditEntry.objects.count() == before


def test_profile_page_saves_and_escapes_html(resident, client):
    client.force_login(resident)
    response = client.post(
        "/comptes/profil/",
        {"display_name": "<script>alert(1)</script>", "quartier": "", "language": "fr"},
    )
    assert response.status_code == 302
    html = client.get("/comptes/profil/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_profile_page_shows_a_clear_error_for_bad_input(resident, client):
    client.force_login(resident)
    response = client.post(
        "/comptes/profil/", {"display_name": "ok", "quartier": "999999", "language": "xx"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sélectionnez un choix valide" in html
    resident.refresh_from_db()
    assert resident.display_name == "Camille Durand"


def test_profile_page_needs_login(client, db):
    response = client.get("/comptes/profil/")
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/")
