"""The public pages of the funds and their ledger, the exports a journalist can check
alone, and the staff actions that post to the ledger."""

import csv
import datetime
import hashlib
import io
import json
import re
from decimal import Decimal
from html import unescape

import pytest
from allauth.account.models import EmailAddress
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fonds.ledger import (
    available_account,
    ledger_disburse,
    ledger_release,
    ledger_reverse,
)
from fonds.models import Grant, LedgerAccount, LedgerTransaction
from tests.fonds.conftest import give_account
from tests.system import SYSTEM

from .conftest import credit, grant_for, ledger_state, make_funds, make_initiative

pytestmark = pytest.mark.django_db

PASSWORD = "motdepasse-test"  # the people fixture's
CONFIRMING = '<input type="hidden" name="confirmed" value="1">'
MEMO = 'Dépenses moindres, "vraiment" ; reste\nrendu'


def text(response):
    """The page with entities decoded and every kind of space a French figure uses
    made plain."""
    return re.sub(r"[\u00a0\u202f]", " ", unescape(response.content.decode()))


def figures(html):
    """[(label, amount)] of every figures table on the page, in order."""
    return re.findall(
        r'<th scope="row">([^<]+)</th><td class="num">(?:<strong>)?([^<]+) €(?:</strong>)?</td>',
        html,
    )


@pytest.fixture
def story(fund, other_fund, people):
    """Bellevue: 15 000 € credited, 1 000,50 € granted, 700,35 € paid, 150,07 €
    released (with a memo full of commas and quotes), a 120 € credit posted twice by
    mistake and reversed. Les Tilleuls: 8 000 € credited, nothing else."""
    credit(fund, "15000.00")
    grant = grant_for(make_initiative(fund, people["author"], "1000.50"), "1000.50")
    ledger_disburse(
        actor=SYSTEM,
        grant=grant,
        amount="700.35",
        payment_reference="MANDAT-2026-0042",
        payment_date=timezone.localdate() - datetime.timedelta(days=2),
        idempotency_key="pay-1",
    )
    ledger_release(actor=SYSTEM, grant=grant, amount="150.07", idempotency_key="rel-1", memo=MEMO)
    mistake = credit(fund, "120.00")
    ledger_reverse(actor=SYSTEM, original=mistake, idempotency_key="rev-1", memo="Saisi deux fois")
    credit(other_fund, "8000.00")
    give_account(grant.initiative)
    return {"fund": fund, "other_fund": other_fund, "grant": grant}


# Public pages -------------------------------------------------------------------------


def test_the_funds_page_shows_every_figure_to_the_cent(client, story):
    html = text(client.get("/fonds/"))
    bellevue = [
        ("Enveloppe", "15 000,00"),
        ("Engagé, à verser", "150,08"),
        ("Versé", "700,35"),
        ("Disponible", "14 149,57"),
    ]
    tilleuls = [
        ("Enveloppe", "8 000,00"),
        ("Engagé, à verser", "0,00"),
        ("Versé", "0,00"),
        ("Disponible", "8 000,00"),
    ]
    found = figures(html)
    assert len(found) == 8
    # Funds are listed by quartier name: Bellevue, then Les Tilleuls.
    assert found == bellevue + tilleuls
    # The gauge: shares of the envelope, paid then committed, and their text version.
    assert "Enveloppe : 4 % versés, 1 % engagés, 94 % disponibles" in html
    assert '<rect x="0" y="0" width="4" height="6" class="gauge__paid"/>' in html
    assert '<rect x="4" y="0" width="1" height="6" class="gauge__committed"/>' in html
    assert "Enveloppe : 0 % versés, 0 % engagés, 100 % disponibles" in html
    assert f'href="/fonds/{story["fund"].slug}/grand-livre/"' in html


def test_an_empty_fund_shows_zeros(client, fund):
    html = text(client.get("/fonds/"))
    assert figures(html) == [
        ("Enveloppe", "0,00"),
        ("Engagé, à verser", "0,00"),
        ("Versé", "0,00"),
        ("Disponible", "0,00"),
    ]
    assert client.get(f"/fonds/{fund.slug}/grand-livre/").status_code == 200
    export = json.loads(streamed(client.get(f"/fonds/{fund.slug}/grand-livre/?format=json")))
    assert export == {"fund": fund.slug, "transactions": []}


def test_a_fund_page_shows_its_figures_grants_and_head(client, story, people):
    fund, grant = story["fund"], story["grant"]
    response = client.get(f"/fonds/{fund.slug}/")
    assert response.status_code == 200
    html = text(response)
    assert figures(html)[:4] == [
        ("Enveloppe", "15 000,00"),
        ("Engagé, à verser", "150,08"),
        ("Versé", "700,35"),
        ("Disponible", "14 149,57"),
    ]
    row = re.search(rf"<td>{grant.decision_reference}</td>.*?</tr>", html, re.S).group(0)
    assert re.findall(r'<td class="num">([^<]+) €</td>', row) == ["700,35", "150,08"]
    assert available_account(fund).head_hash in html
    # No staff action for the public.
    assert "/crediter/" not in html and "/paiement/" not in html
    client.force_login(people["administrator"])
    assert f"/fonds/{fund.slug}/crediter/" in text(client.get(f"/fonds/{fund.slug}/"))
    client.force_login(people["instructor"])
    html = text(client.get(f"/fonds/{fund.slug}/"))
    assert f"/cms/subventions/{grant.pk}/paiement/" in html
    assert f"/cms/subventions/{grant.pk}/liberation/" in html
    assert client.get("/fonds/nulle-part/").status_code == 404


def test_the_ledger_page_lists_filters_and_shows_the_head(client, story):
    fund = story["fund"]
    url = f"/fonds/{fund.slug}/grand-livre/"
    html = text(client.get(url))
    sequences = [int(n) for n in re.findall(r"<tr>\s*<td>(\d+)</td>", html)]
    assert sequences == [6, 5, 4, 3, 2, 1]  # the most recent first
    for amount in ("15 000,00 €", "1 000,50 €", "700,35 €", "150,07 €", "120,00 €"):
        assert amount in html
    assert "annule l'opération n° 5" in html
    head = available_account(fund)
    assert f"Empreinte de tête après {head.head_sequence} opérations" in html
    assert head.head_sequence == 6 and head.head_hash in html

    paid = text(client.get(url, {"kind": "disburse"}))
    assert re.findall(r"<tr>\s*<td>(\d+)</td>", paid) == ["3"]
    assert "MANDAT-2026-0042" in paid and "15 000,00 €" not in paid
    today = timezone.localdate().isoformat()
    assert len(re.findall(r"<tr>\s*<td>\d+</td>", text(client.get(url, {"since": today})))) == 6
    assert "Aucune opération." in text(client.get(url, {"until": "2000-01-01"}))
    for bad in (
        {"kind": "vol"},
        {"since": "hier"},
        {"until": "2026-13-45"},
        {"page": "abc"},
        {"page": "999"},
        {"page": "-1"},
        {"format": "xml"},
        {"kind": ["credit", "commit"]},
    ):
        response = client.get(url, bad)
        assert response.status_code == 200, bad
        assert head.head_hash in text(response)
    assert client.get("/fonds/nulle-part/grand-livre/").status_code == 404


# Exports ------------------------------------------------------------------------------


def streamed(response):
    assert isinstance(response, StreamingHttpResponse)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


def check_chain_from_the_export_alone(records, head_hash):
    """What a journalist does with the export: recompute every hash from the previous
    one and the canonical content, and check the canonical content says what the
    other columns say."""
    previous = "0" * 64
    for number, record in enumerate(records, start=1):
        assert int(record["sequence"]) == number
        assert record["previous_hash"] == previous
        digest = hashlib.sha256((previous + record["canonical"]).encode()).hexdigest()
        assert digest == record["hash"], number
        content = json.loads(record["canonical"])
        assert content["sequence"] == number
        assert content["kind"] == record["kind"]
        assert content["amount"] == record["amount"]
        assert content["memo"] == record["memo"]
        assert content["reference"] == record["reference"]
        assert content["created_at"] == datetime.datetime.fromisoformat(
            record["created_at"]
        ).astimezone(datetime.UTC).isoformat(timespec="microseconds")
        assert sum(Decimal(amount) for _account, amount in content["legs"]) == 0
        assert {abs(Decimal(amount)) for _account, amount in content["legs"]} == {
            Decimal(record["amount"])
        }
        previous = digest
    assert previous == head_hash


def test_the_json_export_lets_anyone_verify_the_chain(client, story):
    fund = story["fund"]
    response = client.get(f"/fonds/{fund.slug}/grand-livre/", {"format": "json"})
    assert response["Content-Type"] == "application/json"
    assert f"grand-livre-{fund.slug}.json" in response["Content-Disposition"]
    export = json.loads(streamed(response))
    assert export["fund"] == fund.slug
    records = export["transactions"]
    stored = LedgerTransaction.objects.filter(fund=fund).order_by("sequence")
    assert [r["hash"] for r in records] == [tx.hash for tx in stored]
    assert [r["kind"] for r in records] == [
        "credit",
        "commit",
        "disburse",
        "release",
        "credit",
        "reversal",
    ]
    assert records[3]["memo"] == MEMO
    assert (
        records[2]["payment_date"]
        == (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    )
    assert records[5]["reverses"] == stored[4].pk
    check_chain_from_the_export_alone(records, available_account(fund).head_hash)
    # The other fund's export holds only its own chain.
    other = json.loads(
        streamed(client.get(f"/fonds/{story['other_fund'].slug}/grand-livre/?format=json"))
    )
    assert [r["kind"] for r in other["transactions"]] == ["credit"]


def test_the_csv_export_lets_anyone_verify_the_chain(client, story):
    fund = story["fund"]
    response = client.get(f"/fonds/{fund.slug}/grand-livre/", {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(streamed(response), newline="")))
    assert len(rows) == 6
    assert rows[3]["memo"] == MEMO  # commas, quotes and a line break survive
    assert rows[0]["payment_date"] == "" and rows[0]["grant"] == ""
    check_chain_from_the_export_alone(rows, available_account(fund).head_hash)


# Bounded queries ----------------------------------------------------------------------


def count_queries(client, url):
    client.get(url)  # warm the per-test caches (site settings, pages)
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_funds_page_reads_a_fixed_number_of_queries(
    client, quartier, people, django_assert_max_num_queries
):
    def add_funds(start, count):
        for fund in make_funds(quartier, count, start):
            credit(fund, "1000.00")
            grant_for(make_initiative(fund, people["author"], "300.00"), "250.00")

    add_funds(0, 2)
    few = count_queries(client, "/fonds/")
    add_funds(2, 18)
    assert Grant.objects.count() == 20
    with django_assert_max_num_queries(few) as many:
        html = text(client.get("/fonds/"))
    assert len(figures(html)) == 4 * 20
    assert len(many.captured_queries) == few


def test_the_ledger_and_fund_pages_read_a_fixed_number_of_queries(
    client, fund, people, django_assert_max_num_queries
):
    def add(count):
        """``count`` transactions of every kind, with grants, payments and reversals."""
        initiative = make_initiative(fund, people["author"], "1000.00")
        made = 0
        while made < count:
            mistake = credit(fund, "100.00")
            grant = grant_for(initiative, "10.00")
            ledger_disburse(
                actor=SYSTEM,
                grant=grant,
                amount="5.00",
                payment_reference=f"VIR-{grant.pk}",
                payment_date=timezone.localdate(),
                idempotency_key=f"pay-{grant.pk}",
            )
            ledger_release(
                actor=SYSTEM, grant=grant, amount="1.00", idempotency_key=f"rel-{grant.pk}"
            )
            ledger_reverse(actor=SYSTEM, original=mistake, idempotency_key=f"rev-{mistake.pk}")
            made += 5

    ledger_url, fund_url = f"/fonds/{fund.slug}/grand-livre/", f"/fonds/{fund.slug}/"
    credit(fund, "100000.00")
    add(9)
    few = {url: count_queries(client, url) for url in (ledger_url, fund_url)}
    few["kind"] = count_queries(client, ledger_url + "?kind=reversal")
    add(190)
    assert LedgerTransaction.objects.filter(fund=fund).count() == 201
    with django_assert_max_num_queries(few[ledger_url]) as many:
        html = text(client.get(ledger_url))
    assert len(re.findall(r"<tr>\s*<td>\d+</td>", html)) == 50  # one page
    assert len(many.captured_queries) == few[ledger_url]
    with django_assert_max_num_queries(few["kind"]):
        client.get(ledger_url + "?kind=reversal&page=2")
    with django_assert_max_num_queries(few[fund_url]) as many:
        html = text(client.get(fund_url))
    assert html.count("<td>DEC-") == 40
    assert len(many.captured_queries) == few[fund_url]


# Staff actions ------------------------------------------------------------------------


def fresh_login(client, user):
    """Log in through the real form, then confirm the password on allauth's
    re-authentication page: this allauth only counts a re-authentication as recent
    (a plain login is not enough)."""
    EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    client.logout()
    response = client.post("/comptes/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    assert response.wsgi_request.user == user
    response = client.post("/comptes/reauthenticate/", {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def shows_field_error(html, field, message):
    """The field's error on a site form (beside the field) or at the desk in /cms/ (the
    error summary's link to the field)."""
    return (
        f'<p class="field__error" id="id_{field}_error">{message}</p>' in html
        or re.search(rf'<a href="#id_{field}">[^<]*: {re.escape(message)}</a>', html) is not None
    )


def hidden_key(html):
    return re.search(r'name="key" value="([0-9a-f]{32})"', html).group(1)


def transactions():
    return LedgerTransaction.objects.count()


def test_staff_actions_need_a_recent_login(client, story, people):
    fund, grant = story["fund"], story["grant"]
    before = transactions()
    urls = [
        f"/fonds/{fund.slug}/crediter/",
        f"/cms/subventions/{grant.pk}/paiement/",
        f"/cms/subventions/{grant.pk}/liberation/",
    ]
    for url in urls:
        assert client.get(url)["Location"].startswith("/comptes/login/")
    client.force_login(people["administrator"])
    assert client.get(urls[0])["Location"].startswith("/comptes/reauthenticate/")
    assert client.post(urls[0], {"amount": "10"})["Location"].startswith("/comptes/reauthenticate/")
    client.force_login(people["instructor"])
    for url in urls[1:]:
        assert client.get(url)["Location"].startswith("/comptes/reauthenticate/")
    # With allauth 65, even a login through the form just now is not a recent
    # re-authentication: the password is asked again once, on the first staff action.
    user = people["administrator"]
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.logout()
    assert (
        client.post("/comptes/login/", {"login": user.email, "password": PASSWORD}).status_code
        == 302
    )
    assert client.get(urls[0])["Location"].startswith("/comptes/reauthenticate/")
    assert client.post("/comptes/reauthenticate/", {"password": PASSWORD}).status_code == 302
    assert client.get(urls[0]).status_code == 200
    assert transactions() == before


def test_crediting_a_fund_is_confirmed_then_written_once(client, story, people):
    fund = story["fund"]
    url = f"/fonds/{fund.slug}/crediter/"
    fresh_login(client, people["administrator"])
    page = text(client.get(url))
    key = hidden_key(page)
    assert hidden_key(text(client.get(url))) != key  # a new key for each new form
    before = ledger_state()
    data = {"amount": "2 500,50", "memo": "Rallonge votée en conseil municipal", "key": key}
    confirm = client.post(url, data)
    assert confirm.status_code == 200
    html = text(confirm)
    assert "Confirmez l'opération" in html and CONFIRMING in html
    assert "2 500,50" in html
    assert hidden_key(html) == key
    assert ledger_state() == before  # nothing written yet
    done = client.post(url, {**data, "confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == f"/fonds/{fund.slug}/"
    tx = LedgerTransaction.objects.get(idempotency_key=f"credit-{key}")
    assert (tx.kind, tx.amount, tx.actor, tx.memo) == (
        "credit",
        Decimal("2500.50"),
        people["administrator"],
        "Rallonge votée en conseil municipal",
    )
    assert transactions() == before["transactions"] + 1
    # The same confirmed form again (a double click, a reload): nothing more.
    again = client.post(url, {**data, "confirmed": "1"})
    assert again.status_code == 302
    assert transactions() == before["transactions"] + 1
    assert "17 500,50" in text(client.get(f"/fonds/{fund.slug}/"))


def test_a_payment_and_a_release_are_confirmed_then_written_once(client, story, people):
    grant = story["grant"]  # 150,08 € still committed
    fresh_login(client, people["instructor"])
    url = f"/cms/subventions/{grant.pk}/paiement/"
    key = hidden_key(text(client.get(url)))
    paid_on = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    data = {"amount": "100,08", "payment_reference": "MANDAT-77", "payment_date": paid_on}
    data["key"] = key
    before = transactions()
    assert CONFIRMING in text(client.post(url, data))
    assert transactions() == before
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 302
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 302
    tx = LedgerTransaction.objects.get(idempotency_key=f"disburse-{key}")
    assert (tx.amount, tx.reference, tx.payment_date.isoformat(), tx.actor) == (
        Decimal("100.08"),
        "MANDAT-77",
        paid_on,
        people["instructor"],
    )
    assert transactions() == before + 1

    url = f"/cms/subventions/{grant.pk}/liberation/"
    key = hidden_key(text(client.get(url)))
    data = {"amount": "50", "memo": "Projet terminé", "key": key}
    assert CONFIRMING in text(client.post(url, data))
    assert transactions() == before + 1
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 302
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 302
    assert transactions() == before + 2
    assert LedgerAccount.objects.get(grant=grant).balance == 0


def test_people_without_the_right_role_are_refused_and_nothing_is_written(client, story, people):
    """Not found for people who reach the desk but not this grant; sent to the login
    page (the desk is the admin's) for people who have no desk."""
    fund, grant = story["fund"], story["grant"]
    credit_url = f"/fonds/{fund.slug}/crediter/"
    grant_urls = [
        f"/cms/subventions/{grant.pk}/paiement/",
        f"/cms/subventions/{grant.pk}/liberation/",
    ]
    own = grant_for(make_initiative(fund, people["instructor"], "100.00"), "100.00")
    before = transactions()
    cases = [
        ("resident", [credit_url], grant_urls),
        ("author", [credit_url], grant_urls),
        ("other_instructor", [credit_url, *grant_urls], []),
        ("instructor", [credit_url, f"/cms/subventions/{own.pk}/paiement/"], []),
        ("chair", [], grant_urls),
        ("administrator", grant_urls, []),
    ]
    data = {"amount": "1", "key": "f" * 32, "confirmed": "1", "memo": "x"}
    for name, not_found, no_desk in cases:
        fresh_login(client, people[name])
        for url in not_found:
            assert client.get(url).status_code == 404, (name, url)
            assert client.post(url, data).status_code == 404, (name, url)
        for url in no_desk:
            for response in (client.get(url), client.post(url, data)):
                assert response.status_code == 302, (name, url)
                assert response["Location"].startswith("/comptes/login/"), (name, url)
    fresh_login(client, people["instructor"])
    assert client.get("/cms/subventions/999999/paiement/").status_code == 404
    assert transactions() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Le montant doit être un nombre."),
        ("", "Champ requis."),
        ("0", "Le montant doit être supérieur à zéro."),
        ("-5", "Le montant doit être supérieur à zéro."),
        ("12,345", "Le montant a au plus deux décimales."),
        ("2000000", "Le montant ne peut dépasser 1 000 000,00 €."),
    ],
)
def test_bad_amounts_show_a_french_error_and_write_nothing(client, story, people, amount, message):
    """Refused at once, before the confirmation step, and also if the confirmed form is
    forged; on every staff form."""
    fund, grant = story["fund"], story["grant"]
    forms = [
        (people["instructor"], f"/cms/subventions/{grant.pk}/paiement/"),
        (people["instructor"], f"/cms/subventions/{grant.pk}/liberation/"),
        (people["administrator"], f"/fonds/{fund.slug}/crediter/"),
    ]
    before = ledger_state()
    for user, url in forms:
        fresh_login(client, user)
        data = {
            "amount": amount,
            "payment_reference": "MANDAT-78",
            "payment_date": timezone.localdate().isoformat(),
            "memo": "Motif",
            "key": hidden_key(text(client.get(url))),
        }
        for step in ({}, {"confirmed": "1"}):
            response = client.post(url, {**data, **step})
            assert response.status_code == 200
            html = text(response)
            assert shows_field_error(html, "amount", message), url
            assert CONFIRMING not in html
    assert ledger_state() == before


def test_more_than_committed_is_refused_before_the_confirmation(client, story, people):
    grant = story["grant"]
    fresh_login(client, people["instructor"])
    before = ledger_state()
    for url in (
        f"/cms/subventions/{grant.pk}/paiement/",
        f"/cms/subventions/{grant.pk}/liberation/",
    ):
        data = {
            "amount": "150,09",
            "payment_reference": "MANDAT-78",
            "payment_date": timezone.localdate().isoformat(),
            "memo": "Motif",
            "key": hidden_key(text(client.get(url))),
        }
        message = "Le montant dépasse ce qui reste engagé sur cette subvention : 150,08 €."
        for step in ({}, {"confirmed": "1"}):
            html = text(client.post(url, {**data, **step}))
            assert shows_field_error(html, "amount", message), url
            assert CONFIRMING not in html
    assert ledger_state() == before


def test_the_ledger_still_refuses_what_became_too_much_after_the_confirmation(story, people):
    """Between the confirmation and the posting another payment may land: the ledger
    checks the balance at the end, under its lock."""
    from fonds.ledger import LedgerError, ledger_disburse

    grant = story["grant"]
    before = ledger_state()
    with pytest.raises(LedgerError) as refused:
        ledger_disburse(
            actor=people["instructor"],
            grant=grant,
            amount="150,09",
            payment_reference="MANDAT-78",
            payment_date=timezone.localdate(),
            idempotency_key="too-much",
        )
    assert "La subvention n'a plus que 150,08\xa0€ engagés ; 150,09\xa0€ demandés." in str(
        refused.value.message
    )
    assert ledger_state() == before


def test_a_future_payment_date_or_no_reference_is_refused_on_the_form(client, story, people):
    grant = story["grant"]
    fresh_login(client, people["instructor"])
    url = f"/cms/subventions/{grant.pk}/paiement/"
    key = hidden_key(text(client.get(url)))
    before = ledger_state()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    html = text(
        client.post(
            url,
            {
                "amount": "10",
                "payment_reference": "M-1",
                "payment_date": tomorrow,
                "key": key,
                "confirmed": "1",
            },
        )
    )
    assert "La date du paiement est requise et ne peut être dans le futur." in html
    assert CONFIRMING not in html
    html = text(
        client.post(
            url,
            {"amount": "10", "payment_reference": "", "payment_date": tomorrow, "key": key},
        )
    )
    assert CONFIRMING not in html
    assert shows_field_error(html, "payment_reference", "Champ requis.")
    assert ledger_state() == before


def test_csv_export_quotes_text_that_a_spreadsheet_would_run(client, fund):
    import csv
    import io

    from fonds.ledger import ledger_credit

    ledger_credit(
        actor=SYSTEM, fund=fund, amount="10", idempotency_key="csv-formula", memo="=HYPERLINK(1)"
    )
    response = client.get(f"/fonds/{fund.slug}/grand-livre/", {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[-1]["memo"].startswith("'=")
