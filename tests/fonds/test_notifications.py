"""People are told (accounts.notifications): each notification reaches the right people
once, listed under « Mon espace » and emailed after commit with a plain-text and an HTML
part and absolute links; a person may turn optional kinds off on « Mon profil », never
the ones the service must send."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.errors import DomainError
from accounts.models import AuditEntry, Notification, NotificationOptOut
from accounts.services import notification_preferences_set
from fonds.ledger import ledger_commit, ledger_credit, ledger_disburse
from fonds.models import Initiative
from fonds.services import (
    initiative_declare_admissible,
    initiative_request_completion,
    initiative_submit,
    report_submit,
)
from tests.fonds.conftest import REASON, _through_council, give_account, pdf_bytes
from tests.system import SYSTEM

pytestmark = pytest.mark.django_db

SITE = "https://fonds.example.org"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


def _to(address):
    return [message for message in mail.outbox if message.to == [address]]


def _html(message):
    return next(body for body, kind in message.alternatives if kind == "text/html")


def _links(message):
    return re.findall(r"https?://[^\s<>\"]+", message.body)


def test_a_new_dossier_tells_the_quartiers_instructors_once(
    draft, author, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        initiative_submit(actor=author, initiative=draft)
    instructor = people["instructor"]
    [message] = _to(instructor.email)
    assert "Nouveau dossier" in message.subject and draft.title in message.subject
    assert f"{SITE}/cms/dossiers/{draft.pk}/" in _links(message)
    assert f'href="{SITE}/cms/dossiers/{draft.pk}/"' in _html(message)
    assert f"{SITE}/comptes/profil/" in message.body  # the kind can be turned off
    # Nobody else who handles another quartier, and the carrier gets their own email.
    assert _to(people["other_instructor"].email) == []
    [receipt] = _to(author.email)
    assert "est déposée" in receipt.subject
    assert f"{SITE}/mon-espace/" in _links(receipt)
    assert Notification.objects.filter(user=instructor, kind="dossier_new").count() == 1
    assert Notification.objects.filter(user=author, kind="dossier").count() == 1


def test_a_dossier_completed_after_a_request_says_so(
    draft, author, instructor, django_capture_on_commit_callbacks
):
    submitted = initiative_submit(actor=author, initiative=draft)
    initiative_request_completion(actor=instructor, initiative=submitted, reason=REASON)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        initiative_submit(actor=author, initiative=submitted)
    [message] = _to(instructor.email)
    assert message.subject.startswith("Dossier complété")


def test_an_instructor_who_turned_the_kind_off_is_listed_not_emailed(
    draft, author, instructor, django_capture_on_commit_callbacks
):
    notification_preferences_set(actor=instructor, user=instructor, muted=["dossier_new"])
    with django_capture_on_commit_callbacks(execute=True):
        initiative_submit(actor=author, initiative=draft)
    assert _to(instructor.email) == []
    assert Notification.objects.filter(user=instructor, kind="dossier_new").count() == 1


def test_the_kinds_the_service_owes_cannot_be_turned_off(author):
    for kind in ("dossier", "payment", "convocation"):
        with pytest.raises(DomainError):
            notification_preferences_set(actor=author, user=author, muted=[kind])
    with pytest.raises(DomainError):
        notification_preferences_set(actor=author, user=author, muted=["inconnu"])
    assert not NotificationOptOut.objects.exists()


def test_only_the_person_chooses_their_emails(author, people):
    from accounts.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        notification_preferences_set(
            actor=people["administrator"], user=author, muted=["dossier_new"]
        )


def test_a_decision_tells_the_carrier_the_amount_reference_and_link(
    initiative_in, author, instructor, django_capture_on_commit_callbacks
):
    admissible = initiative_in(Initiative.Status.ADMISSIBLE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        from fonds.services.council import initiative_put_on_agenda, initiative_record_decision

        initiative_put_on_agenda(actor=instructor, initiative=admissible, session_label="S")
        initiative_record_decision(
            actor=instructor,
            initiative=admissible,
            outcome="granted",
            reference="CQ-TEST-2026-009",
            amount="600.00",
        )
    [message] = _to(author.email)
    assert "subvention" in message.subject
    assert "600,00\xa0€" in message.body and "CQ-TEST-2026-009" in message.body
    assert f"{SITE}/decisions/CQ-TEST-2026-009/" in _links(message)


def test_each_payment_tells_the_carrier_once(
    initiative_in, author, instructor, django_capture_on_commit_callbacks
):
    granted = initiative_in(Initiative.Status.GRANTED)
    ledger_credit(actor=SYSTEM, fund=granted.fund, amount="5000", idempotency_key="n-credit")
    grant = ledger_commit(
        actor=SYSTEM,
        initiative=granted,
        amount="800",
        decision_reference="CQ-TEST-2026-001",
        idempotency_key="n-commit",
    ).grant
    give_account(grant.initiative)
    mail.outbox.clear()
    day = datetime.date(2026, 11, 2)
    payment = {
        "actor": instructor,
        "grant": grant,
        "amount": "300",
        "payment_reference": "MANDAT-4512",
        "payment_date": day,
        "idempotency_key": "n-pay-1",
    }
    with django_capture_on_commit_callbacks(execute=True):
        ledger_disburse(**payment)
    with django_capture_on_commit_callbacks(execute=True):
        ledger_disburse(**payment)  # the same payment sent again
    [message] = _to(author.email)
    assert "300,00\xa0€" in message.subject
    assert "2 novembre 2026" in message.body and "MANDAT-4512" in message.body
    assert "Choisir les courriels" not in message.body  # a payment cannot be turned off
    assert Notification.objects.filter(user=author, kind="payment").count() == 1


def test_a_bilan_tells_the_instructors(
    initiative_in, author, instructor, people, django_capture_on_commit_callbacks
):
    granted = initiative_in(Initiative.Status.GRANTED)
    mail.outbox.clear()
    from django.core.files.uploadedfile import SimpleUploadedFile

    with django_capture_on_commit_callbacks(execute=True):
        report_submit(
            actor=author,
            initiative=granted,
            narrative="Fait.",
            participants=12,
            actual_expenses="400",
            receipts=[SimpleUploadedFile("f.pdf", pdf_bytes(), content_type="application/pdf")],
        )
    [message] = _to(instructor.email)
    assert message.subject.startswith("Bilan déposé")
    assert f"{SITE}/cms/dossiers/{granted.pk}/bilan/" in _links(message)
    assert _to(people["other_instructor"].email) == []


def test_a_carriers_answer_tells_the_council_and_the_instructors(
    initiative_in, author, instructor, people, django_capture_on_commit_callbacks
):
    from votes.services import answer_post, message_post

    admissible = initiative_in(Initiative.Status.ADMISSIBLE)
    question = message_post(
        actor=people["chair"], initiative=admissible, body="Quel public ?", question=True
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer_post(actor=author, question=question, body="Les familles du quartier.")
    told = {message.to[0] for message in mail.outbox}
    assert told == {
        people["chair"].email,
        people["council_member"].email,
        instructor.email,
    }
    assert all(message.subject.startswith("Réponse du porteur") for message in mail.outbox)


def test_links_use_the_address_the_person_reached_the_site_at(
    client, draft, author, instructor, django_capture_on_commit_callbacks
):
    client.force_login(author)
    url = reverse("initiative_edit", args=[draft.pk, "depot"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {}, headers={"host": "fonds.bellerive.fr"})
    draft.refresh_from_db()
    assert draft.status == Initiative.Status.SUBMITTED
    [message] = _to(instructor.email)
    assert f"http://fonds.bellerive.fr/cms/dossiers/{draft.pk}/" in _links(message)


def test_notifications_are_listed_in_my_space_and_read_there(
    client, draft, author, instructor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        submitted = initiative_submit(actor=author, initiative=draft)
        initiative_declare_admissible(actor=instructor, initiative=submitted, reason=REASON)
    client.force_login(author)
    space = client.get(reverse("my_space")).content.decode()
    assert "2 nouvelles" in space
    page = client.get(reverse("my_notifications")).content.decode()
    assert "est recevable" in page and "est déposée" in page
    assert page.count("Nouveau<") == 2
    assert not author.notifications.filter(read_at__isnull=True).exists()
    assert not re.search(
        r"Mes notifications — \d+ nouvelle", client.get(reverse("my_space")).content.decode()
    )


def test_the_profile_form_turns_an_email_off_and_back_on(client, instructor):
    client.force_login(instructor)
    page = client.get(reverse("accounts_profile")).content.decode()
    assert 'name="courriels-wanted" value="dossier_new"' in page
    url = reverse("accounts_email_preferences")
    optional = [
        value
        for value in re.findall(r'name="courriels-wanted" value="([^"]+)"', page)
        if value != "dossier_new"
    ]
    response = client.post(url, {"courriels-wanted": optional})
    assert response.status_code == 302
    assert list(instructor.notification_opt_outs.values_list("kind", flat=True)) == ["dossier_new"]
    assert AuditEntry.objects.filter(action="accounts.notifications.preferences").count() == 1
    client.post(url, {"courriels-wanted": [*optional, "dossier_new"]})
    assert not instructor.notification_opt_outs.exists()


@pytest.mark.parametrize("kind", ["inconnu", "payment", "dossier\x00", "x" * 500])
def test_unknown_or_required_kinds_answer_400_with_nothing_written(client, author, kind):
    client.force_login(author)
    audit = AuditEntry.objects.count()
    response = client.post(reverse("accounts_email_preferences"), {"courriels-wanted": [kind]})
    assert response.status_code == 400
    assert not NotificationOptOut.objects.exists()
    assert AuditEntry.objects.count() == audit


def test_the_demo_tells_nobody(db):
    from cms.demo import build_demo

    build_demo()
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("target", "subject"),
    [
        (Initiative.Status.REFUSED, "n'a pas retenu"),
        (Initiative.Status.GRANTED, "subvention est accordée"),
    ],
)
def test_a_decision_without_an_amount_still_reads(
    initiative_in, author, instructor, target, subject, client, django_capture_on_commit_callbacks
):
    admissible = initiative_in(Initiative.Status.ADMISSIBLE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _through_council(admissible, target, instructor)
    [message] = _to(author.email)
    assert subject in message.subject
    assert f"{SITE}/decisions/CQ-TEST-2026-001/" in _links(message)
    client.force_login(author)
    assert client.get(reverse("my_notifications")).status_code == 200
