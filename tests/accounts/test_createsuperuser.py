import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_superuser_of_a_new_commune_logs_in_without_a_mail_server(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Un-mot-de-passe-solide-2026")
    call_command("createsuperuser", interactive=False, email="dgs@mairie.example", verbosity=0)
    address = EmailAddress.objects.get(email="dgs@mairie.example")
    assert address.verified and address.primary and address.user.is_superuser
    response = client.post(
        "/comptes/login/",
        {"login": "dgs@mairie.example", "password": "Un-mot-de-passe-solide-2026"},
    )
    assert response.status_code == 302 and "confirm" not in response.url
