"""The resident-facing pages: public list and detail, the submission form in steps,
"mon espace", downloads of private files."""

import re

import pytest
from django.core import mail

from accounts.models import AuditEntry
from fonds.models import Initiative
from fonds.services import (
    initiative_attach,
    initiative_create,
    initiative_request_completion,
    initiative_set_budget,
    initiative_withdraw,
)

from .conftest import BUDGET, complete_fields, pdf_bytes

pytestmark = pytest.mark.django_db


def text(response):
    return response.content.decode()


def test_public_list_shows_only_public_dossiers(client, submitted, fund, author, theme):
    hidden = initiative_create(actor=author, fund=fund, carrier_name="X", title="Brouillon secret")
    withdrawn = initiative_create(actor=author, fund=fund, carrier_name="X", title="Projet retiré")
    initiative_withdraw(actor=author, initiative=withdrawn)
    html = text(client.get("/initiatives/"))
    assert submitted.title in html
    assert hidden.title not in html
    assert withdrawn.title not in html
    assert "1 initiative" in html


def test_list_filters_and_bad_filter_values(client, submitted, other_fund, people, theme):
    other = initiative_create(
        actor=people["resident"], fund=other_fund, **{**complete_fields(theme), "title": "Autre"}
    )
    initiative_set_budget(actor=people["resident"], initiative=other, lines=BUDGET)
    from fonds.services import initiative_submit

    initiative_submit(actor=people["resident"], initiative=other)
    by_quartier = text(client.get("/initiatives/", {"quartier": "bellevue"}))
    assert submitted.title in by_quartier and "Autre" not in by_quartier
    by_text = text(client.get("/initiatives/", {"q": "Autre"}))
    assert "Autre" in by_text and submitted.title not in by_text
    by_status = text(client.get("/initiatives/", {"status": "admissible"}))
    assert "Aucune initiative" in by_status
    for bad in ({"quartier": "nulle-part"}, {"page": "abc"}, {"status": "draft"}, {"page": "99"}):
        assert client.get("/initiatives/", bad).status_code == 200


def test_public_list_query_count_does_not_grow(
    client, fund, author, theme, django_assert_max_num_queries
):
    def make(count):
        Initiative.objects.bulk_create(
            Initiative(
                fund=fund,
                author=author,
                carrier_name="C",
                title=f"Projet {i}",
                theme=theme,
                status="submitted",
                latitude=47,
                longitude=0.6,
            )
            for i in range(count)
        )

    make(10)
    client.get("/initiatives/")
    with django_assert_max_num_queries(12) as small:
        assert client.get("/initiatives/").status_code == 200
    make(490)
    with django_assert_max_num_queries(12) as large:
        html = text(client.get("/initiatives/"))
    assert "500 initiatives" in html
    assert len(large.captured_queries) == len(small.captured_queries)


def test_detail_of_a_draft_is_hidden_from_others(client, draft, people):
    assert client.get(f"/initiatives/{draft.pk}/").status_code == 404
    client.force_login(people["resident"])
    assert client.get(f"/initiatives/{draft.pk}/").status_code == 404
    client.force_login(people["author"])
    assert client.get(f"/initiatives/{draft.pk}/").status_code == 200
    client.force_login(people["instructor"])
    assert client.get(f"/initiatives/{draft.pk}/").status_code == 200


def test_html_in_text_comes_back_escaped(client, fund, author, theme):
    fields = {
        **complete_fields(theme),
        "title": "<script>alert('x')</script>",
        "description": "<img src=x onerror=alert(1)>",
    }
    initiative = initiative_create(actor=author, fund=fund, **fields)
    client.force_login(author)
    html = text(client.get(f"/initiatives/{initiative.pk}/"))
    assert "<script>alert(" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(" in html and "&lt;img src=x" in html


def test_person_carrier_name_is_not_public(client, fund, author, theme):
    from fonds.services import initiative_submit

    fields = {
        **complete_fields(theme),
        "carrier_kind": "person",
        "carrier_name": "Jeanne Dupont",
        "rna": "",
    }
    initiative = initiative_create(actor=author, fund=fund, **fields)
    initiative_set_budget(actor=author, initiative=initiative, lines=BUDGET)
    initiative_submit(actor=author, initiative=initiative)
    html = text(client.get(f"/initiatives/{initiative.pk}/"))
    assert "Jeanne Dupont" not in html
    assert author.email not in html
    client.force_login(author)
    assert "Jeanne Dupont" in text(client.get(f"/initiatives/{initiative.pk}/"))


def test_attachments_of_non_public_dossiers_are_private(client, draft, people, pdf_upload):
    attachment = initiative_attach(
        actor=people["author"], initiative=draft, upload=pdf_upload(), label="Devis"
    )
    url = f"/initiatives/{draft.pk}/pieces/{attachment.pk}/"
    assert client.get(url).status_code == 404
    client.force_login(people["resident"])
    assert client.get(url).status_code == 404
    client.force_login(people["other_instructor"])
    assert client.get(url).status_code == 404
    for who in ("author", "instructor"):
        client.force_login(people[who])
        response = client.get(url)
        assert response.status_code == 200, who
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_a_public_piece_of_a_public_dossier_is_public(client, submitted, people, pdf_upload, draft):
    assert draft.pk == submitted.pk
    # Attachments are added while editable; a dossier sent back for completion is public.
    initiative_request_completion(
        actor=people["instructor"], initiative=submitted, reason="Devis ?"
    )
    attachment = initiative_attach(
        actor=people["author"],
        initiative=submitted,
        upload=pdf_upload(),
        label="Devis",
        public=True,
    )
    response = client.get(f"/initiatives/{submitted.pk}/pieces/{attachment.pk}/")
    assert response.status_code == 200
    # A piece the carrier did not make public stays with those who handle the dossier.
    private = initiative_attach(
        actor=people["author"], initiative=submitted, upload=pdf_upload(), label="Assurance"
    )
    assert client.get(f"/initiatives/{submitted.pk}/pieces/{private.pk}/").status_code == 404


def test_submission_in_steps_without_javascript(client, fund, theme, author):
    client.force_login(author)
    response = client.post(
        "/initiatives/nouvelle/",
        {
            "fund": fund.pk,
            "carrier_kind": "association",
            "carrier_name": "Les Amis du Square",
            "rna": "W491234567",
            "siret": "",
            "title": "Bancs et jardinières",
        },
    )
    initiative = Initiative.objects.get(title="Bancs et jardinières")
    assert response["Location"] == f"/initiatives/{initiative.pk}/modifier/projet/"
    fields = complete_fields(theme)
    response = client.post(
        f"/initiatives/{initiative.pk}/modifier/projet/",
        {
            "summary": fields["summary"],
            "description": fields["description"],
            "theme": theme.pk,
            "place_name": "Square",
            "latitude": "47.39",
            "longitude": "0.68",
            "starts_on": fields["starts_on"].isoformat(),
            "ends_on": fields["ends_on"].isoformat(),
            "expected_participants": "30",
        },
    )
    assert response["Location"].endswith("/modifier/budget/")
    budget = {"lignes-TOTAL_FORMS": "4", "lignes-INITIAL_FORMS": "0"}
    rows = [
        ("expense", "Bois", "800,00"),
        ("expense", "Peinture", "150"),
        ("cofunding", "Mairie annexe", "100"),
        ("expense", "", ""),
    ]
    for i, (kind, label, amount) in enumerate(rows):
        budget |= {
            f"lignes-{i}-kind": kind,
            f"lignes-{i}-label": label,
            f"lignes-{i}-amount": amount,
        }
    response = client.post(f"/initiatives/{initiative.pk}/modifier/budget/", budget)
    assert response["Location"].endswith("/modifier/pieces/")
    initiative.refresh_from_db()
    assert str(initiative.requested_amount) == "850.00"
    upload = {"action": "attach", "piece-label": "Devis", "piece-file": _pdf_file()}
    response = client.post(f"/initiatives/{initiative.pk}/modifier/pieces/", upload)
    assert response.status_code == 302
    assert initiative.attachments.count() == 1
    page = text(client.get(f"/initiatives/{initiative.pk}/modifier/depot/"))
    assert "Déposer mon initiative" in page
    response = client.post(f"/initiatives/{initiative.pk}/modifier/depot/")
    assert response["Location"] == "/mon-espace/"
    initiative.refresh_from_db()
    assert initiative.status == "submitted"


def _pdf_file(name="devis.pdf", data=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, pdf_bytes() if data is None else data, "application/pdf")


@pytest.mark.parametrize("amount", ["-50", "abc", "99999999", "12,345"])
def test_bad_budget_amount_shows_an_error_and_writes_nothing(client, draft, author, amount):
    client.force_login(author)
    before = (list(draft.budget_lines.values_list("amount", flat=True)), AuditEntry.objects.count())
    data = {
        "lignes-TOTAL_FORMS": "1",
        "lignes-INITIAL_FORMS": "0",
        "lignes-0-kind": "expense",
        "lignes-0-label": "Bois",
        "lignes-0-amount": amount,
    }
    response = client.post(f"/initiatives/{draft.pk}/modifier/budget/", data)
    assert response.status_code == 200
    assert 'class="field__error"' in text(response)
    assert (
        list(draft.budget_lines.values_list("amount", flat=True)),
        AuditEntry.objects.count(),
    ) == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("devis.pdf", b"GIF89a fake", "Seuls les fichiers PDF"),
        ("devis.pdf", b"%PDF-1.7\n garbage garbage", "illisible"),
    ],
)
def test_bad_upload_shows_an_error_and_writes_nothing(client, draft, author, name, data, message):
    client.force_login(author)
    response = client.post(
        f"/initiatives/{draft.pk}/modifier/pieces/",
        {"action": "attach", "piece-label": "Devis", "piece-file": _pdf_file(name, data)},
    )
    assert response.status_code == 200
    assert message in text(response)
    assert draft.attachments.count() == 0


def test_submitting_an_incomplete_dossier_lists_what_is_missing(client, fund, author):
    initiative = initiative_create(actor=author, fund=fund, carrier_name="X", title="Vide")
    client.force_login(author)
    response = client.post(f"/initiatives/{initiative.pk}/modifier/depot/")
    html = text(response)
    assert response.status_code == 200
    assert "À renseigner" in html and "au moins une dépense" in html
    initiative.refresh_from_db()
    assert initiative.status == "draft"


def test_others_cannot_edit_a_dossier(client, draft, people):
    client.force_login(people["resident"])
    assert client.get(f"/initiatives/{draft.pk}/modifier/projet/").status_code == 404
    assert client.post(f"/initiatives/{draft.pk}/modifier/depot/").status_code == 404
    assert client.post(f"/initiatives/{draft.pk}/retirer/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_my_space_shows_the_timeline_and_the_instructors_message(
    client, submitted, author, instructor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        initiative_request_completion(
            actor=instructor, initiative=submitted, reason="Merci de joindre le devis signé."
        )
    client.force_login(author)
    html = text(client.get("/mon-espace/"))
    assert submitted.title in html
    assert "Dossier déposé" in html and "Compléments demandés" in html
    assert "Merci de joindre le devis signé." in html
    assert "Compléter le dossier" in html
    assert any("compléter" in message.subject for message in mail.outbox)


def test_support_and_withdraw_through_the_pages(client, submitted, people):
    client.force_login(people["resident"])
    response = client.post(f"/initiatives/{submitted.pk}/soutenir/", follow=True)
    assert "votre soutien est enregistré" in text(response)
    response = client.post(f"/initiatives/{submitted.pk}/soutenir/", follow=True)
    assert "Vous soutenez déjà" in text(response)
    assert submitted.supports.count() == 1
    client.force_login(people["author"])
    assert client.get(f"/initiatives/{submitted.pk}/retirer/").status_code == 200
    response = client.post(f"/initiatives/{submitted.pk}/retirer/", {"reason": "Plus besoin"})
    assert response["Location"] == "/mon-espace/"
    submitted.refresh_from_db()
    assert submitted.status == "withdrawn"
    assert client.get("/initiatives/").content.decode().count(submitted.title) == 0


def test_new_initiative_needs_an_account(client, db):
    response = client.get("/initiatives/nouvelle/")
    assert response.status_code == 302
    assert re.match(r"^/comptes/login/\?next=", response["Location"])
