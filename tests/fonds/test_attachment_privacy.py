"""A dossier's pieces (quotes, insurance certificates…) are read by the carrier, the
quartier's instructors and its council; by everyone else only once the carrier has made
one public. The others get a 404, never a 403: they need not learn that a piece exists."""

import pytest
from django.urls import reverse

from accounts.errors import PermissionDenied
from accounts.models import AuditEntry
from fonds.models import Initiative
from fonds.services import initiative_attach, initiative_attachment_set_public

pytestmark = pytest.mark.django_db

Status = Initiative.Status
READERS = ["author", "instructor", "council_member", "chair"]
OUTSIDERS = [None, "resident", "other_instructor"]


@pytest.fixture
def dossier(initiative_in, author, pdf_upload):
    """A submitted, public dossier with one private piece and one public piece."""
    initiative = initiative_in(Status.DRAFT)
    private = initiative_attach(
        actor=author, initiative=initiative, upload=pdf_upload(), label="Attestation d'assurance"
    )
    public = initiative_attach(
        actor=author, initiative=initiative, upload=pdf_upload(), label="Devis public", public=True
    )
    initiative = initiative_in(Status.SUBMITTED)
    assert initiative.is_public
    return initiative, private, public


def _client_for(client, people, who):
    if who is not None:
        client.force_login(people[who])
    return client


def _url(attachment):
    return reverse("initiative_attachment", args=[attachment.initiative_id, attachment.pk])


def test_a_new_piece_is_private_by_default(dossier):
    _initiative, private, public = dossier
    assert private.public is False
    assert public.public is True


@pytest.mark.parametrize("who", OUTSIDERS)
def test_a_private_piece_is_not_found_for_outsiders(client, people, dossier, who):
    initiative, private, public = dossier
    client = _client_for(client, people, who)
    assert client.get(_url(private)).status_code == 404
    response = client.get(_url(public))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    page = client.get(reverse("initiative_detail", args=[initiative.pk])).content.decode()
    assert "Devis public" in page and _url(public) in page
    assert "Attestation d" not in page and _url(private) not in page


@pytest.mark.parametrize("who", READERS)
def test_the_carrier_and_those_who_handle_the_dossier_read_every_piece(
    client, people, dossier, who
):
    initiative, private, public = dossier
    client = _client_for(client, people, who)
    for piece in (private, public):
        response = client.get(_url(piece))
        assert response.status_code == 200
        assert response["Cache-Control"] == (
            "public, max-age=3600" if piece.public else "private, no-store"
        )
    page = client.get(reverse("initiative_detail", args=[initiative.pk])).content.decode()
    assert _url(private) in page and _url(public) in page


def test_a_public_piece_of_a_draft_stays_hidden(client, people, initiative_in, author, pdf_upload):
    initiative = initiative_in(Status.DRAFT)
    piece = initiative_attach(
        actor=author, initiative=initiative, upload=pdf_upload(), label="Devis", public=True
    )
    assert client.get(_url(piece)).status_code == 404
    client.force_login(people["resident"])
    assert client.get(_url(piece)).status_code == 404


def test_the_toggle_writes_an_audit_row_and_changes_who_reads(client, people, dossier, author):
    _initiative, private, public = dossier
    before = AuditEntry.objects.count()
    initiative_attachment_set_public(actor=author, attachment=private, public=True)
    entry = AuditEntry.objects.order_by("-pk").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.action == "fonds.initiative.attachment_public"
    assert entry.actor == author
    assert entry.data["attachment"] == private.pk
    assert client.get(_url(private)).status_code == 200

    initiative_attachment_set_public(actor=author, attachment=public, public=False)
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry.action == "fonds.initiative.attachment_private"
    assert client.get(_url(public)).status_code == 404

    # Asking for the state a piece already has writes nothing.
    initiative_attachment_set_public(actor=author, attachment=public, public=False)
    assert AuditEntry.objects.count() == before + 2


@pytest.mark.parametrize("who", ["resident", "instructor", "council_member", "administrator"])
def test_only_the_carrier_decides(people, dossier, who):
    _initiative, private, _public = dossier
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        initiative_attachment_set_public(actor=people[who], attachment=private, public=True)
    private.refresh_from_db()
    assert private.public is False
    assert AuditEntry.objects.count() == before


def test_the_upload_form_explains_the_choice_and_the_step_toggles(
    client, initiative_in, author, pdf_upload
):
    initiative = initiative_in(Status.DRAFT)
    client.force_login(author)
    url = reverse("initiative_edit", args=[initiative.pk, "pieces"])
    page = client.get(url).content.decode()
    assert "Rendre cette pièce publique" in page
    assert "seuls vous, les instructeurs du quartier et le conseil de quartier" in page

    response = client.post(
        url,
        {
            "action": "attach",
            "piece-label": "Devis",
            "piece-file": pdf_upload(),
            "piece-public": "on",
        },
    )
    assert response.status_code == 302
    piece = initiative.attachments.get()
    assert piece.public is True

    response = client.post(url, {"action": f"private-{piece.pk}"})
    assert response.status_code == 302
    piece.refresh_from_db()
    assert piece.public is False
    assert AuditEntry.objects.filter(action="fonds.initiative.attachment_private").exists()
