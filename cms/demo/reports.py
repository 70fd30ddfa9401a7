"""Bilans: after the action the carrier reports what happened and what was spent, with
a receipt; the instructor accepts the bilan, which closes the dossier and releases
what the grant did not pay."""

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
    )


def bilan_accept(world, key):
    report = Report.objects.select_related("initiative__fund").get(
        initiative=world.initiatives[key]
    )
    return report_accept(actor=world.instructor, report=report)
