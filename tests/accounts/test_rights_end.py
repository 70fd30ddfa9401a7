"""Rights end on their last day, for everyone, on every private page: a council member
whose mandate ended yesterday, and a staff member whose role was revoked, get 404 today
on every private page of the quartier they served — dossiers, attachments, photos,
bilans, sessions — where the day before they got 200."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import RoleAssignment, User
from accounts.predicates import is_council_member_of, is_instructor_of
from accounts.services import role_revoke
from fonds.models import Initiative, Report, ReportDocument
from fonds.services import initiative_attach, initiative_set_photo
from tests.fonds.conftest import image_bytes, pdf_bytes
from votes.models import AgendaItem, Mandate, Session
from votes.services import mandate_end

pytestmark = pytest.mark.django_db

COUNCILLOR = "conseillere@demo.fonds-quartiers.fr"
CHAIR = "maire@demo.fonds-quartiers.fr"
INSTRUCTOR = "instructeur@demo.fonds-quartiers.fr"
RESIDENT = "habitante@demo.fonds-quartiers.fr"


def _upload(name, data, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def private_urls(demo):
    """Every private page of the first quartier (Bellevue): a draft dossier with an
    attachment and a photo, an inadmissible dossier, a bilan and its receipt, the
    session open today with its agenda item and unsigned minutes."""
    resident = User.objects.get(email=RESIDENT)
    draft = Initiative.objects.filter(
        fund__quartier__slug="bellevue", status=Initiative.Status.DRAFT, author=resident
    ).first()
    attachment = initiative_attach(
        actor=resident,
        initiative=draft,
        upload=_upload("devis.pdf", pdf_bytes(), "application/pdf"),
        label="Devis",
    )
    initiative_set_photo(
        actor=resident, initiative=draft, upload=_upload("photo.jpg", image_bytes(), "image/jpeg")
    )
    inadmissible = Initiative.objects.filter(
        fund__quartier__slug="bellevue", status=Initiative.Status.INADMISSIBLE
    ).first()
    report = Report.objects.filter(initiative__fund__quartier__slug="bellevue").first()
    document = report.documents.filter(kind=ReportDocument.Kind.RECEIPT).first()
    session = Session.objects.get(council__quartier__slug="bellevue", status=Session.Status.OPEN)
    item = AgendaItem.objects.filter(session=session).first()
    return {
        "draft dossier": reverse("initiative_detail", args=[draft.pk]),
        "attachment": reverse("initiative_attachment", args=[draft.pk, attachment.pk]),
        "photo": reverse("initiative_photo", args=[draft.pk]),
        "inadmissible dossier": reverse("initiative_detail", args=[inadmissible.pk]),
        "bilan": reverse("report_review", args=[report.initiative_id]),
        "bilan document": reverse("report_document", args=[report.initiative_id, document.pk]),
        "session": reverse("council_session", args=[session.pk]),
        "agenda item": reverse("council_item", args=[item.pk]),
        "unsigned minutes": reverse("council_minutes", args=[session.pk]),
    }


def _statuses(client, user, urls):
    client.force_login(user)
    return {name: client.get(url).status_code for name, url in urls.items()}


def _yesterday():
    return timezone.localdate() - datetime.timedelta(days=1)


@pytest.mark.parametrize("email", [COUNCILLOR, CHAIR])
def test_a_mandate_ended_yesterday_opens_no_private_page_today(client, demo, private_urls, email):
    person = User.objects.get(email=email)
    assert set(_statuses(client, person, private_urls).values()) == {200}

    mandate = Mandate.objects.in_office().get(user=person, council__quartier__slug="bellevue")
    admin = User.objects.get(email="admin@demo.fonds-quartiers.fr")
    mandate_end(actor=admin, mandate=mandate, ends_on=_yesterday(), reason="Démission")

    person = User.objects.get(pk=person.pk)
    assert not is_council_member_of(person, mandate.council.quartier_id)
    statuses = _statuses(client, person, private_urls)
    assert statuses == {name: 404 for name in private_urls}
    assert client.get(reverse("council_home")).status_code == 200  # no council listed
    assert "Bellevue" not in client.get(reverse("council_home")).content.decode()


def test_a_mandate_ending_today_still_holds_today_and_not_tomorrow(client, demo, private_urls):
    person = User.objects.get(email=COUNCILLOR)
    mandate = Mandate.objects.in_office().get(user=person, council__quartier__slug="bellevue")
    admin = User.objects.get(email="admin@demo.fonds-quartiers.fr")
    mandate_end(actor=admin, mandate=mandate, ends_on=timezone.localdate(), reason="Départ")
    assert set(_statuses(client, person, private_urls).values()) == {200}
    from freezegun import freeze_time

    with freeze_time(timezone.now() + datetime.timedelta(days=1)):
        assert not is_council_member_of(User.objects.get(pk=person.pk), mandate.council.quartier_id)
        assert _statuses(client, person, private_urls) == {name: 404 for name in private_urls}


def test_a_revoked_instructor_opens_no_private_page_at_once(client, demo, private_urls):
    person = User.objects.get(email=INSTRUCTOR)
    urls = {k: v for k, v in private_urls.items() if k not in ("session", "agenda item")}
    urls |= {
        "council session": private_urls["session"],
        "agenda item": private_urls["agenda item"],
        "back-office queue": reverse("fonds_backoffice_queue"),
    }
    before = _statuses(client, person, urls)
    assert set(before.values()) == {200}, before

    admin = User.objects.get(email="admin@demo.fonds-quartiers.fr")
    for assignment in RoleAssignment.objects.in_force().filter(user=person):
        role_revoke(actor=admin, assignment=assignment, reason="Changement de service")

    person = User.objects.get(pk=person.pk)
    assert not is_instructor_of(person, demo["quartiers"][0].pk)
    after = _statuses(client, person, urls)
    queue = after.pop("back-office queue")
    assert after == {name: 404 for name in after}
    assert queue in (302, 403)  # the admin no longer opens for them
    assert client.get("/cms/").status_code == 302


def test_a_staff_role_past_its_last_day_ends_without_anyone_acting(client, demo, private_urls):
    person = User.objects.get(email=INSTRUCTOR)
    RoleAssignment.objects.filter(user=person).update(
        starts_on=timezone.localdate() - datetime.timedelta(days=30), ends_on=_yesterday()
    )
    statuses = _statuses(
        client, User.objects.get(pk=person.pk), {"draft": private_urls["draft dossier"]}
    )
    assert statuses == {"draft": 404}
    assert client.get("/cms/").status_code == 302
