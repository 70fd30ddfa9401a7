"""A form's action runs once, however often it is sent (accounts.once): the council's
thread on a dossier, posted twice with the same rendered form, holds one message."""

import re

import pytest
from django.urls import reverse

from accounts.models import AuditEntry
from tests.votes.conftest import *  # noqa: F403
from votes.models import Message
from votes.services import agenda_add

pytestmark = pytest.mark.django_db


def _token(page):
    return re.search(r'name="form_once" value="([^"]+)"', page).group(1)


def test_a_form_sent_twice_writes_once(client, chair, session, admissible, instructor):
    item = agenda_add(actor=instructor, session=session, initiative=admissible)
    url = reverse("council_item", args=[item.pk])
    client.force_login(chair)
    token = _token(client.get(url).content.decode())
    data = {"action": "message", "body": "Avis favorable.", "form_once": token}
    audit = AuditEntry.objects.count()

    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert Message.objects.filter(initiative=admissible).count() == 1
    assert AuditEntry.objects.count() == audit + 1
    page = client.get(second.url).content.decode()
    assert "déjà été prise en compte" in page

    # A new rendering of the form carries a new token, and posts again.
    data["form_once"] = _token(page)
    assert data["form_once"] != token
    client.post(url, data)
    assert Message.objects.filter(initiative=admissible).count() == 2


# Forms whose repetition changes nothing: the language choice sets a cookie.
IDEMPOTENT = {"components/language_switch.html"}


def test_every_form_that_writes_on_the_site_carries_a_token():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    missing = []
    for template in root.rglob("*.html"):
        text = template.read_text()
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", text, flags=re.S | re.I):
            name = str(template.relative_to(root))
            if "form_once" not in form and name not in IDEMPOTENT:
                missing.append(name)
    assert missing == []
