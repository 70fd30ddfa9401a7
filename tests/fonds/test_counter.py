"""Filing at the counter: an instructor files for a resident who came to the town hall,
hands over a receipt, and the resident claims the dossier online with its code."""

import datetime
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry
from fonds.models import Initiative
from fonds.services.counter import counter_claim, counter_file, counter_new_code
from fonds.trail import dossier_history
from tests.ledger.test_pages import fresh_login, text

from .conftest import _user

LINES = [("expense", "Bois et terreau", "900"), ("cofunding", "Bailleur social", "150")]


def fields(theme, **extra):
    today = timezone.localdate()
    return {
        "carrier_kind": "person",
        "carrier_name": "Jeanne Martin",
        "title": "Des bancs au square",
        "summary": "Trois bancs pour s'asseoir à l'ombre.",
        "description": "Avec les voisins, nous construisons et installons trois bancs.",
        "theme": theme,
        "place_name": "Square Bellevue",
        "starts_on": today + datetime.timedelta(days=40),
        "ends_on": today + datetime.timedelta(days=60),
        "expected_participants": 25,
        **extra,
    }


def file(instructor, fund, theme, **extra):
    contact = {"contact_email": "jeanne@example.org", "contact_address": ""}
    contact.update({k: extra.pop(k) for k in list(extra) if k.startswith("contact_")})
    return counter_file(
        actor=instructor,
        fund=fund,
        lines=extra.pop("lines", LINES),
        **contact,
        **fields(theme, **extra),
    )


def test_a_dossier_filed_at_the_counter_is_submitted_for_a_resident_without_account(
    fund, theme, instructor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        initiative, code = file(instructor, fund, theme)
    assert initiative.status == Initiative.Status.SUBMITTED
    assert initiative.author is None and initiative.filed_at_counter
    assert initiative.requested_amount == 750
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    assert code.replace("-", "") not in initiative.claim_code_hash  # kept hashed only
    labels = [item.label for item in dossier_history(initiative)]
    assert "Déposée au guichet" in labels and "Dossier déposé" in labels
    sent = [m for m in mail.outbox if m.to == ["jeanne@example.org"]]
    assert len(sent) == 1 and "Des bancs au square" in sent[0].subject
    assert sent[0].body.startswith("Bonjour Jeanne Martin,")


def test_with_an_account_the_dossier_is_the_residents_at_once(fund, theme, instructor):
    resident = _user("jeanne@example.org")
    initiative, code = file(instructor, fund, theme, contact_email="JEANNE@example.org")
    assert initiative.author == resident and code is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contact_email": "", "contact_address": ""}, "contact_email"),
        ({"contact_email": "pas-une-adresse"}, "contact_email"),
        ({"lines": [("expense", "Bois", "dix euros")]}, "line-0"),
        ({"carrier_name": ""}, "carrier_name"),
        ({"summary": ""}, "__all__"),  # the submission's rules, every one listed
        ({"lines": [("expense", "Bois", "9000")]}, "__all__"),  # above the ceiling
    ],
)
def test_bad_input_at_the_counter_is_refused_and_nothing_is_written(
    fund, theme, instructor, change, field
):
    audit = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        file(instructor, fund, theme, **change)
    assert field in refused.value.errors, refused.value.errors
    assert not Initiative.objects.exists() and AuditEntry.objects.count() == audit


def test_only_the_quartiers_instructors_file_at_the_counter(fund, theme, people):
    for person in ("resident", "other_instructor", "administrator", "council_member"):
        with pytest.raises(PermissionDenied):
            file(people[person], fund, theme)
    with pytest.raises(DomainError, match="pour lui-même"):
        file(people["instructor"], fund, theme, contact_email=people["instructor"].email)
    assert not Initiative.objects.exists()


def test_the_resident_claims_the_dossier_once_with_the_code(fund, theme, instructor, people):
    initiative, code = file(instructor, fund, theme)
    resident = people["resident"]
    with pytest.raises(DomainError, match="ne correspond à aucun dossier"):
        counter_claim(actor=resident, code="AAAA-BBBB-CCCC")
    claimed = counter_claim(actor=resident, code=code.lower().replace("-", " "))
    assert claimed.pk == initiative.pk and claimed.author == resident
    assert claimed.claim_code_hash == ""
    with pytest.raises(DomainError, match="ne sert qu'une fois"):
        counter_claim(actor=people["author"], code=code)
    initiative.refresh_from_db()
    assert initiative.author == resident
    assert "Dossier réclamé en ligne par son porteur" in [
        item.label for item in dossier_history(initiative)
    ]


def test_a_new_code_replaces_a_lost_one(fund, theme, instructor, people):
    initiative, old = file(instructor, fund, theme)
    new = counter_new_code(actor=instructor, initiative=initiative)
    with pytest.raises(DomainError):
        counter_claim(actor=people["resident"], code=old)
    assert counter_claim(actor=people["resident"], code=new).author == people["resident"]
    with pytest.raises(DomainError, match="déjà un compte"):
        counter_new_code(actor=instructor, initiative=initiative)


def test_the_counter_pages_file_hand_over_a_receipt_and_the_claim_is_rate_limited(
    client, fund, theme, people
):
    instructor = people["instructor"]
    fresh_login(client, instructor)
    assert "/cms/guichet/" in text(client.get("/cms/"))  # the menu item
    page = text(client.get("/cms/guichet/"))
    assert 'name="contact_email"' in page and 'name="ligne-5-amount"' in page
    today = timezone.localdate()
    data = {
        "fund": fund.pk,
        "contact_email": "",
        "contact_address": "12 rue des Lilas\n49000 Angers",
        "carrier_kind": "person",
        "carrier_name": "Jeanne Martin",
        "title": "Des bancs au square",
        "summary": "Trois bancs.",
        "description": "Trois bancs à l'ombre.",
        "theme": theme.pk,
        "place_name": "Square",
        "starts_on": (today + datetime.timedelta(days=40)).isoformat(),
        "ends_on": (today + datetime.timedelta(days=60)).isoformat(),
        "expected_participants": "25",
        "ligne-0-kind": "expense",
        "ligne-0-label": "Bois",
        "ligne-0-amount": "600",
        "ligne-1-kind": "cofunding",
        "ligne-1-label": "Bailleur social",
        "ligne-1-amount": "100",
    }
    for i in range(2, 6):
        data[f"ligne-{i}-kind"] = "expense"
    refused = text(client.post("/cms/guichet/", {**data, "contact_address": ""}))
    assert "Indiquez l'adresse électronique du déposant ou son adresse postale" in refused
    assert not Initiative.objects.exists()
    response = client.post("/cms/guichet/", data)
    assert response.status_code == 302, text(response)[-3000:]
    initiative = Initiative.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/cms/guichet/{initiative.pk}/"
    )
    done = text(client.get(response["Location"]))
    code = re.search(r"<code>([A-Z2-9-]{14})</code>", done).group(1)
    receipt = client.get(f"/cms/guichet/{initiative.pk}/recepisse/")
    assert receipt["Content-Type"] == "application/pdf" and receipt.content.startswith(b"%PDF")
    dossier = text(client.get(f"/cms/dossiers/{initiative.pk}/"))
    assert "12 rue des Lilas" in dossier and "pas encore réclamé en ligne" in dossier
    # Another quartier's instructor sees none of it.
    fresh_login(client, people["other_instructor"])
    assert client.get(f"/cms/guichet/{initiative.pk}/").status_code == 404
    assert client.get(f"/cms/guichet/{initiative.pk}/recepisse/").status_code == 404
    # The resident claims it; guessing is cut short.
    cache.clear()
    resident = people["resident"]
    client.force_login(resident)
    for attempt in range(5):
        wrong = text(client.post("/mon-espace/reclamer/", {"code": f"AAAA-BBBB-CCC{attempt + 2}"}))
        assert "Code inconnu ou déjà utilisé" in wrong
    limited = text(client.post("/mon-espace/reclamer/", {"code": code}))
    assert "Trop d'essais" in limited
    initiative.refresh_from_db()
    assert initiative.author is None
    cache.clear()
    assert client.post("/mon-espace/reclamer/", {"code": code}).status_code == 302
    initiative.refresh_from_db()
    assert initiative.author == resident
    assert "Des bancs au square" in text(client.get("/mon-espace/"))


def test_a_commune_wide_instructor_files_at_the_counter_of_every_quartier(
    client, fund, other_fund, theme
):
    from accounts.roles import Role
    from fonds.backoffice.counter import counter_funds

    everywhere = _user("agent-commune@example.org", Role.INSTRUCTOR)
    assert set(counter_funds(everywhere)) == {fund, other_fund}
    initiative, _code = file(everywhere, other_fund, theme)
    fresh_login(client, everywhere)
    assert client.get("/cms/guichet/").status_code == 200
    assert client.get(f"/cms/guichet/{initiative.pk}/").status_code == 200
