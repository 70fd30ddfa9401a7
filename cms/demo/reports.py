"""Bilans: after the action the carrier reports what happened and what was spent, with
a receipt (and a photo the public may see when the action went as planned); the
instructor accepts the bilan, which closes the dossier and releases what the grant did
not pay."""

import functools
import io
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from fonds.models import Report
from fonds.services import report_accept, report_submit

NARRATIVES = {
    True: (
        "« {title} » a eu lieu comme prévu : {participants} personnes sont venues. "
        "Les habitants ont participé à la préparation et souhaitent recommencer l'an "
        "prochain. Les dépenses correspondent au budget présenté."
    ),
    False: (
        "« {title} » a eu lieu : {participants} personnes sont venues. Une partie du "
        "matériel a été prêtée par nos partenaires, si bien que les dépenses ont été "
        "inférieures au budget ; nous ne demandons que ce que justifient les factures."
    ),
}

SUMMARIES = {
    True: "{participants} habitants réunis ; l'action a eu lieu comme prévu.",
    False: "{participants} habitants réunis ; du matériel prêté a réduit les dépenses.",
}


@functools.cache
def _receipt_pdf():
    page = Image.new("RGB", (420, 595), "white")
    draw = ImageDraw.Draw(page)
    draw.text((40, 40), "FACTURE — fournitures du projet", fill="black")
    draw.text((40, 80), "Total TTC : voir bilan", fill="black")
    buffer = io.BytesIO()
    page.save(buffer, "PDF")
    return buffer.getvalue()


def _receipt():
    return SimpleUploadedFile("facture.pdf", _receipt_pdf(), "application/pdf")


@functools.cache
def _photo_jpeg():
    """A drawing of the day: a green field, a sun, a row of stalls."""
    photo = Image.new("RGB", (640, 400), "#9fd3f0")
    draw = ImageDraw.Draw(photo)
    draw.rectangle((0, 260, 640, 400), fill="#5a9e4b")
    draw.ellipse((500, 30, 580, 110), fill="#f6c945")
    for left in range(40, 600, 140):
        draw.rectangle((left, 190, left + 100, 270), fill="#c0504d")
        draw.polygon([(left - 10, 190), (left + 50, 150), (left + 110, 190)], fill="#f2f2f2")
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _photo():
    return SimpleUploadedFile("photo.jpg", _photo_jpeg(), "image/jpeg")


def bilan_submit(world, key, spent):
    """The carrier files the bilan; ``spent`` is the share of the budget really spent."""
    initiative = world.initiatives[key]
    initiative.refresh_from_db()
    share = Decimal(str(spent))
    expenses = sum(
        (line.amount for line in initiative.budget_lines.filter(kind="expense")),
        start=Decimal(0),
    )
    participants = max(10, (initiative.expected_participants or 30) * (9 + len(key) % 4) // 10)
    return report_submit(
        actor=initiative.author,
        initiative=initiative,
        narrative=NARRATIVES[share == 1].format(title=initiative.title, participants=participants),
        participants=participants,
        actual_expenses=(expenses * share).quantize(Decimal("0.01")),
        receipts=[_receipt()],
        # The bilans of actions done as planned come with a photo the public may see.
        photos=[_photo()] if share == 1 else [],
        public_summary=SUMMARIES[share == 1].format(participants=participants),
        photos_consent=share == 1,
    )


def bilan_accept(world, key):
    report = Report.objects.select_related("initiative__fund").get(
        initiative=world.initiatives[key]
    )
    return report_accept(actor=world.instructor, report=report)
