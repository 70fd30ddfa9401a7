"""A person who carries an initiative in their own name is named on no public page, file
or feed: every one of them names the carrier as the public initiative page does
(``Initiative.public_carrier``). An association is named everywhere."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from fonds.models import Fund, Initiative
from votes.models import Decision, Session

pytestmark = pytest.mark.django_db

NEUTRAL = "Des habitant·es du quartier"


def _persons(initiatives):
    return [i for i in initiatives if i.carrier_kind == Initiative.CarrierKind.PERSON]


@pytest.fixture
def carried(demo):
    """The demo's public dossiers carried by a person, and their names."""
    persons = _persons(Initiative.objects.public().select_related("fund__quartier"))
    assert persons, "the demo has public dossiers carried by a person"
    return persons, sorted({i.carrier_name for i in persons})


def _absent(text, names, where):
    for name in names:
        assert name not in text, f"{name!r} printed in {where}"


def _body(response):
    assert response.status_code == 200, response
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_the_public_label_names_associations_only(demo):
    initiative = Initiative.objects.filter(carrier_kind="association").first()
    assert initiative is not None and initiative.public_carrier == initiative.carrier_name
    person = Initiative.objects.filter(carrier_kind="person").first()
    assert str(person.public_carrier) == NEUTRAL


def test_initiative_pages_and_list(client, carried):
    persons, names = carried
    pages = [reverse("initiative_list")]
    pages += [f"{reverse('initiative_list')}?page={n}" for n in range(2, 6)]
    for url in pages:
        response = client.get(url)
        if response.status_code == 404:
            break
        _absent(_body(response), names, url)
    for initiative in persons:
        url = reverse("initiative_detail", args=[initiative.pk])
        body = _body(client.get(url))
        _absent(body, names, url)
        assert NEUTRAL in body


def test_the_carrier_still_sees_their_own_name(client, carried):
    persons, _names = carried
    initiative = persons[0]
    client.force_login(initiative.author)
    body = _body(client.get(reverse("initiative_detail", args=[initiative.pk])))
    assert initiative.carrier_name in body


def test_decision_pages_and_sessions(client, carried):
    _persons_, names = carried
    decisions = Decision.objects.filter(published_at__isnull=False)
    assert decisions.exists()
    for decision in decisions:
        url = reverse("decision_detail", args=[decision.reference])
        _absent(_body(client.get(url)), names, url)
    _absent(_body(client.get(reverse("public_sessions"))), names, "/seances/")


def test_signed_minutes(client, carried):
    persons, names = carried
    ids = {i.pk for i in persons}
    sessions = [
        s
        for s in Session.objects.filter(minutes_signed_at__isnull=False)
        if s.items.filter(initiative_id__in=ids).exists()
    ]
    assert sessions, "the demo has signed minutes of a dossier carried by a person"
    for session in sessions:
        response = client.get(reverse("council_minutes", args=[session.pk]))
        assert response.status_code == 200
        text = "\n".join(
            page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages
        )
        assert "Porteur" in text
        _absent(text, names, f"minutes of session {session.pk}")
        assert "habitant" in text


def test_sitemap_and_feed(client, carried):
    _persons_, names = carried
    _absent(_body(client.get("/sitemap.xml")), names, "sitemap.xml")
    _absent(_body(client.get(reverse("decision_feed"))), names, "the decisions feed")


def test_public_ledger_exports(client, carried):
    _persons_, names = carried
    for fund in Fund.objects.exclude(status=Fund.Status.DRAFT):
        url = reverse("fund_ledger", args=[fund.slug])
        _absent(_body(client.get(url)), names, url)
        for export in ("csv", "json"):
            _absent(_body(client.get(url, {"format": export})), names, f"{url}?format={export}")
        _absent(_body(client.get(reverse("fund_detail", args=[fund.slug]))), names, fund.slug)
