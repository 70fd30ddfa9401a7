"""The money's real path through the pages: the account the grant is paid to (read
whole only by the carrier and the payment officers), a host association as beneficiary,
money asked back and repaid at the desk, and a period closed by an administrator."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone

from accounts.errors import DomainError, PermissionDenied
from fonds.ledger import ledger_commit, ledger_credit, ledger_disburse
from fonds.models import BankDetails, FundClosing, LedgerTransaction, RepaymentRequest
from fonds.services import initiative_create
from fonds.services.bank import bank_details_confirm, bank_details_set
from tests.ledger.test_pages import CONFIRMING, fresh_login, hidden_key, text
from tests.system import SYSTEM

from .conftest import ACCOUNT, _open_fund, complete_fields

MASKED = "FR76 •••• •••• 0189"
GROUPED = "FR76 3000 6000 0112 3456 7890 189"
OTHER = "FR7630006000010000000004226"
TODAY = timezone.localdate


@pytest.fixture
def granted(initiative_in, fund):
    """A dossier granted 1 000 € (5 000 € in the fund), not yet paid."""
    initiative = initiative_in("granted")
    ledger_credit(actor=SYSTEM, fund=fund, amount="5000", idempotency_key="m-credit")
    ledger_commit(
        actor=SYSTEM,
        initiative=initiative,
        amount="1000",
        decision_reference="CQ-BELLEVUE-2026-050",
        idempotency_key="m-commit",
    )
    return initiative


def pay(grant, amount, actor=SYSTEM, key="m-pay"):
    return ledger_disburse(
        actor=actor,
        grant=grant,
        amount=amount,
        payment_reference="MANDAT-9",
        payment_date=TODAY(),
        idempotency_key=key,
    )


# The account ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        ("FR76 3000 6000 0112 3456 7890 180", "Cet IBAN n'est pas valide"),
        ("pas un iban", "Cet IBAN n'est pas valide"),
        ("", "Cet IBAN n'est pas valide"),
        ("US64SVBKUS6S3300958879", "Cet IBAN n'est pas valide"),
        ("BR1500000000000010932840814P2", "zone SEPA"),
    ],
)
def test_a_bad_iban_is_refused_in_french_and_nothing_is_written(granted, author, iban, message):
    with pytest.raises(DomainError) as refused:
        bank_details_set(actor=author, initiative=granted, iban=iban, holder="Les Jardiniers")
    assert message in refused.value.message or message in str(refused.value.errors)
    assert not BankDetails.objects.exists()


def test_only_the_carrier_gives_the_account(granted, people):
    for person in ("resident", "instructor", "administrator"):
        with pytest.raises(PermissionDenied):
            bank_details_set(
                actor=people[person], initiative=granted, iban=ACCOUNT, holder="Intrus"
            )
    with pytest.raises(DomainError) as refused:
        bank_details_set(actor=people["author"], initiative=granted, iban=ACCOUNT, holder=" ")
    assert "titulaire" in refused.value.errors["holder"][0]
    assert not BankDetails.objects.exists()


def test_the_account_is_read_whole_by_the_carrier_and_payment_officers_only(
    client, initiative_in, people
):
    initiative = initiative_in("submitted")
    author = people["author"]
    client.force_login(author)
    page = f"/initiatives/{initiative.pk}/compte/"
    response = client.post(page, {"holder": "Les Jardiniers", "iban": GROUPED.lower()})
    assert response.status_code == 302
    details = BankDetails.objects.get()
    assert (details.iban, details.masked, details.usable) == (ACCOUNT, MASKED, True)
    assert GROUPED in text(client.get(page))
    for person in ("resident", "instructor", "administrator"):
        client.force_login(people[person])
        assert client.get(page).status_code == 404
    dossier = f"/cms/dossiers/{initiative.pk}/"
    fresh_login(client, people["instructor"])
    html = text(client.get(dossier))
    assert GROUPED in html
    fresh_login(client, people["administrator"])
    html = text(client.get(dossier))
    assert MASKED in html and GROUPED not in html and ACCOUNT not in html


def test_a_change_after_the_grant_is_emailed_and_waits_for_an_instructor(
    client, granted, people, django_capture_on_commit_callbacks
):
    author, instructor = people["author"], people["instructor"]
    bank_details_set(actor=author, initiative=granted, iban=ACCOUNT, holder="Les Jardiniers")
    first = BankDetails.objects.get()
    assert first.needs_confirmation and not first.usable  # given after the decision
    bank_details_confirm(actor=SYSTEM, details=first)
    grant = granted.grants.get()
    pay(grant, "100")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        changed = bank_details_set(
            actor=author, initiative=granted, iban=OTHER, holder="Les Jardiniers"
        )
    assert [m.to for m in mail.outbox if "compte de versement" in m.subject] == [[author.email]]
    assert "FR76 •••• •••• 4226" in next(m.body for m in mail.outbox if author.email in m.to)
    before = LedgerTransaction.objects.count()
    with pytest.raises(DomainError, match="confirmer le nouveau compte"):
        pay(grant, "100", actor=instructor, key="m-pay-2")
    assert LedgerTransaction.objects.count() == before
    # The payment page says where the money would go, and refuses.
    fresh_login(client, instructor)
    url = f"/cms/subventions/{grant.pk}/paiement/"
    html = text(client.get(url))
    assert "un agent doit confirmer le nouveau compte" in html
    data = {"amount": "100", "payment_reference": "MANDAT-10", "payment_date": TODAY()}
    data["key"] = hidden_key(html)
    assert CONFIRMING not in text(client.post(url, data))
    # The carrier cannot confirm their own change; the instructor does, at the desk.
    with pytest.raises(PermissionDenied):
        bank_details_confirm(actor=author, details=changed)
    confirm = f"/cms/dossiers/{granted.pk}/compte/confirmer/"
    assert client.post(confirm, {"details": changed.pk}).status_code == 302
    changed.refresh_from_db()
    assert changed.usable and changed.confirmed_by == instructor
    html = text(client.get(url))
    assert "Les Jardiniers — FR76 3000 6000 0100 0000 0004 226" in html
    assert CONFIRMING in text(client.post(url, data))
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 302
    assert LedgerTransaction.objects.count() == before + 1


def test_no_payment_before_the_carrier_gives_an_account(granted, instructor):
    with pytest.raises(DomainError, match="pas encore indiqué le compte"):
        pay(granted.grants.get(), "100", actor=instructor)


# A host association --------------------------------------------------------------------


def test_a_host_association_is_checked(fund, author, theme):
    group = complete_fields(theme) | {"carrier_kind": "person", "carrier_name": "Le collectif"}
    group.pop("rna")
    cases = [
        ({"host_name": "Centre social"}, "host_siret", "SIRET ou RNA"),
        ({"host_name": "Centre social", "host_siret": "12345678901234"}, "host_siret", "SIRET"),
        ({"host_name": "Centre social", "host_rna": "X12"}, "host_rna", "RNA"),
        ({"host_rna": "W491234567"}, "host_name", "nom de l'association hôte"),
    ]
    for extra, field, message in cases:
        with pytest.raises(DomainError) as refused:
            initiative_create(actor=author, fund=fund, **group, **extra)
        assert message in " ".join(refused.value.errors[field]), extra
    association = complete_fields(theme) | {"host_name": "Centre", "host_rna": "W491234567"}
    with pytest.raises(DomainError) as refused:
        initiative_create(actor=author, fund=fund, **association)
    assert "collectif" in refused.value.errors["host_name"][0]
    hosted = initiative_create(
        actor=author, fund=fund, **group, host_name="Centre social", host_siret="732 829 320 00074"
    )
    assert (hosted.host_siret, hosted.beneficiary, hosted.beneficiary_number) == (
        "73282932000074",
        "Centre social",
        "73282932000074",
    )


def test_the_host_association_is_the_beneficiary_in_the_ledger_and_its_exports(
    client, granted, author, fund
):
    # A granted dossier no longer changes through the services: written directly.
    granted.__class__.objects.filter(pk=granted.pk).update(
        carrier_kind="person",
        carrier_name="Marie Durand",
        rna="",
        host_name="Centre social Bellevue",
        host_rna="W491000001",
    )
    ledger = text(client.get(f"/fonds/{fund.slug}/grand-livre/"))
    assert "bénéficiaire : Centre social Bellevue" in ledger
    response = client.get(f"/fonds/{fund.slug}/grand-livre/?format=csv")
    csv_export = b"".join(response.streaming_content).decode()
    row = next(line for line in csv_export.splitlines() if ",commit," in line)
    assert "Centre social Bellevue,W491000001,Des habitant·es du quartier" in row
    assert "Marie Durand" not in csv_export
    json_export = client.get(f"/fonds/{fund.slug}/grand-livre/?format=json")
    body = b"".join(json_export.streaming_content).decode()
    assert '"beneficiary": "Centre social Bellevue"' in body and "Marie Durand" not in body


# Money coming back, at the desk -------------------------------------------------------


def test_a_repayment_is_asked_then_received_at_the_desk(
    client, granted, people, django_capture_on_commit_callbacks
):
    author, instructor = people["author"], people["instructor"]
    bank_details_set(actor=author, initiative=granted, iban=ACCOUNT, holder="Les Jardiniers")
    bank_details_confirm(actor=SYSTEM, details=BankDetails.objects.get())
    grant = granted.grants.get()
    pay(grant, "600")
    fresh_login(client, instructor)
    ask = f"/cms/subventions/{grant.pk}/remboursement/"
    html = text(client.get(ask))
    due = (TODAY() + datetime.timedelta(days=30)).isoformat()
    assert f'value="{due}"' in html
    data = {"key": hidden_key(html), "due_on": due, "reason": "Action annulée (pluie)"}
    # Above what was paid: refused on the form, nothing written.
    refused = text(client.post(ask, {**data, "amount": "600,01"}))
    assert "600,00 €" in refused and CONFIRMING not in refused
    assert text(client.post(ask, {**data, "amount": "250"})).count(CONFIRMING) == 1
    assert not RepaymentRequest.objects.exists()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(ask, {**data, "amount": "250", "confirmed": "1"}).status_code == 302
    request = RepaymentRequest.objects.get()
    assert (request.amount, request.status) == (250, RepaymentRequest.Status.OPEN)
    body = next(m.body for m in mail.outbox if author.email in m.to)
    assert "rembourser 250,00" in body.replace("\u202f", " ").replace("\xa0", " ")
    assert "Action annulée (pluie)" in body
    # The dossier lists it; the officer records what came back.
    dossier = text(client.get(f"/cms/dossiers/{granted.pk}/"))
    assert "Remboursement de 250,00 € demandé" in dossier
    receive = f"/cms/remboursements/{request.pk}/"
    html = text(client.get(receive))
    data = {
        "key": hidden_key(html),
        "amount": "250",
        "payment_reference": "TITRE-2026-17",
        "payment_date": TODAY().isoformat(),
    }
    assert CONFIRMING in text(client.post(receive, data))
    assert client.post(receive, {**data, "confirmed": "1"}).status_code == 302
    assert client.post(receive, {**data, "confirmed": "1"}).status_code == 302  # twice: once
    repayment = LedgerTransaction.objects.get(kind="repayment")
    assert (repayment.amount, repayment.reference) == (250, "TITRE-2026-17")
    request.refresh_from_db()
    assert request.status == RepaymentRequest.Status.SETTLED
    assert client.get(receive).status_code == 404  # settled: nothing more to record
    public = text(client.get(f"/initiatives/{granted.pk}/"))
    assert "250,00 € remboursés par le porteur au fonds du quartier" in public
    fund_page = text(client.get(granted.fund.get_absolute_url()))
    assert "Dont 250,00 € remboursés par des porteurs" in fund_page
    client.force_login(author)
    space = text(client.get("/mon-espace/"))
    assert "Remboursement de 250,00 € demandé" in space
    assert "Remboursement de 250,00 € reçu le" in space


def test_a_request_is_cancelled_with_a_reason(client, granted, people):
    grant = granted.grants.get()
    pay(grant, "300")
    request = RepaymentRequest.objects.create(
        grant=grant, amount=100, due_on=TODAY(), reason="Bilan refusé"
    )
    fresh_login(client, people["instructor"])
    cancel = f"/cms/remboursements/{request.pk}/annuler/"
    client.post(cancel, {f"annuler-{request.pk}-reason": ""})
    request.refresh_from_db()
    assert request.status == RepaymentRequest.Status.OPEN
    client.post(cancel, {f"annuler-{request.pk}-reason": "Le porteur a justifié la dépense"})
    request.refresh_from_db()
    assert request.status == RepaymentRequest.Status.CANCELLED


# The end of a period ------------------------------------------------------------------


def test_an_administrator_closes_a_period_from_the_funds_page(client, quartier, people):
    year = TODAY().year
    old = _open_fund(
        quartier,
        label=f"Fonds {year - 1}",
        period_start=datetime.date(year - 1, 1, 1),
        period_end=datetime.date(year - 1, 12, 31),
    )
    new = _open_fund(quartier)
    ledger_credit(actor=SYSTEM, fund=old, amount="3000", idempotency_key="c-credit")
    fresh_login(client, people["administrator"])
    page = text(client.get(old.get_absolute_url()))
    assert f'href="/fonds/{old.slug}/cloturer/"' in page
    url = f"/fonds/{old.slug}/cloturer/"
    html = text(client.get(url))
    assert "3 000,00 €" in html and f'<option value="{new.pk}" selected>' in html
    data = {"key": hidden_key(html), "next_fund": new.pk, "envelope": "carry", "reason": ""}
    assert "motif" in text(client.post(url, data)).lower()
    data["reason"] = "Fin de l'exercice : l'enveloppe reste au quartier"
    confirm = text(client.post(url, data))
    assert CONFIRMING in confirm and "Reportée sur la période suivante" in confirm
    assert not FundClosing.objects.exists()
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 302
    closing = FundClosing.objects.get()
    assert (closing.next_fund, closing.unspent) == (new, 3000)
    page = text(client.get(old.get_absolute_url()))
    assert (
        "Période close le" in page and "L'enveloppe non dépensée, 3 000,00 €, est reportée" in page
    )
    assert "cloturer" not in page and "crediter" not in page
    arriving = text(client.get(new.get_absolute_url()))
    assert re.search(r"Reçu du fonds « Fonds \d{4} », clos le", arriving)
    assert client.get(url).status_code == 302  # already closed
    for person in ("instructor", "resident"):
        client.force_login(people[person])
        assert client.get(f"/fonds/{new.slug}/cloturer/").status_code in (302, 404)


# A mistaken entry, reversed -------------------------------------------------------------


def test_an_administrator_reverses_a_mistaken_entry_from_the_ledger(client, fund, people):
    ledger_credit(actor=SYSTEM, fund=fund, amount="1000", idempotency_key="r-credit-1")
    twice = ledger_credit(actor=SYSTEM, fund=fund, amount="1000", idempotency_key="r-credit-2")
    ledger_page = f"/fonds/{fund.slug}/grand-livre/"
    url = f"/fonds/{fund.slug}/grand-livre/{twice.sequence}/contre-passer/"
    for person in ("instructor", "resident"):
        fresh_login(client, people[person])
        assert url not in text(client.get(ledger_page))
        assert client.get(url).status_code == 404
    fresh_login(client, people["administrator"])
    assert url in text(client.get(ledger_page))
    html = text(client.get(url))
    data = {"key": hidden_key(html), "memo": ""}
    assert CONFIRMING not in text(client.post(url, data))  # the reason is required
    data["memo"] = "Enveloppe créditée deux fois"
    assert CONFIRMING in text(client.post(url, data))
    assert client.post(url, {**data, "confirmed": "1"}).status_code == 302
    reversal = LedgerTransaction.objects.get(kind="reversal")
    assert (reversal.reverses, reversal.memo) == (twice, "Enveloppe créditée deux fois")
    page = text(client.get(ledger_page))
    assert url not in page  # reversed once, and a reversal is not reversed
    assert f"/grand-livre/{reversal.sequence}/contre-passer/" not in page
    assert client.get(url).status_code == 404
