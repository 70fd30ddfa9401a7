"""The signed minutes' PDF is tagged for screen readers (PDF/UA): a structure tree,
marked content, the document's language and title."""

import io

import pikepdf
import pytest
from django.urls import reverse

from votes.models import Session

pytestmark = pytest.mark.django_db


def _signed(demo):
    return Session.objects.filter(minutes_signed_at__isnull=False).order_by("pk").first()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_minutes_pdf_is_tagged_in_the_pages_language(demo, client, settings, language):
    session = _signed(demo)
    assert session is not None
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(reverse("council_minutes", args=[session.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(response.content)) as pdf:
        root = pdf.Root
        assert bool(root.MarkInfo.Marked) is True
        assert "/StructTreeRoot" in root
        assert str(root.Lang) == language
        metadata = pdf.open_metadata()
        assert "pdfuaid:part" in str(pdf.Root.Metadata.read_bytes()) or metadata.get("pdfuaid:part")
