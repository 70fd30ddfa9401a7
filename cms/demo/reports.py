"""Bilans: one accepted (the dossier closed, the rest released), one waiting for the
instructor."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from fonds.models import Grant, Initiative, Report
from fonds.services import report_accept, report_submit


def _receipt():
    page = Image.new("RGB", (420, 595), "white")
    draw = ImageDraw.Draw(page)
    draw.text((40, 40), "FACTURE — fournitures du projet", fill="black")
    draw.text((40, 80), "Total TTC : voir bilan", fill="black")
    buffer = io.BytesIO()
    page.save(buffer, "PDF")
    return SimpleUploadedFile("facture.pdf", buffer.getvalue(), "application/pdf")


def demo_reports(funds, instructor):
    grants = list(
        Grant.objects.filter(fund__in=funds).select_related("initiative__author").order_by("pk")
    )
    for index, grant in enumerate(grants[:2]):
        initiative = grant.initiative
        if (
            initiative.status != Initiative.Status.GRANTED
            or Report.objects.filter(initiative=initiative).exists()
        ):
            continue
        committed = grant.transactions.get(kind="commit").amount
        report = report_submit(
            actor=initiative.author,
            initiative=initiative,
            narrative=(
                "L'action a eu lieu comme prévu, avec les habitants du quartier et le centre "
                "social. Les dépenses ont été un peu inférieures au budget."
            ),
            participants=35 + index * 10,
            actual_expenses=committed,
            receipts=[_receipt()],
        )
        if index == 0:
            report_accept(actor=instructor, report=report)
