import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.errors import DomainError
from accounts.forms import add_domain_error
from fonds.forms import ReportForm
from fonds.models import Initiative, Report, ReportDocument
from fonds.predicates import can_view_private_parts, is_author, is_instructor_for
from fonds.services import report_complete, report_submit
from fonds.trail import comparison, grant_money, is_public_photo

from .files import _private_file_response


def _initiative(pk):
    return get_object_or_404(Initiative.objects.select_related("fund__quartier"), pk=pk)


@login_required
def report_file(request, pk):
    """The author files the bilan of a granted initiative, or completes it when an
    instructor asked for more."""
    initiative = _initiative(pk)
    if not is_author(request.user, initiative):
        raise Http404
    report = Report.objects.filter(initiative=initiative).first()
    completing = report is not None and report.status == Report.Status.COMPLETION_ASKED
    initial = {}
    if completing:
        initial = {
            "narrative": report.narrative,
            "public_summary": report.public_summary,
            "participants": report.participants,
            "actual_expenses": str(report.actual_expenses).replace(".", ","),
            "photos_consent": report.photos_consent,
            "host_signatory": report.host_signatory,
        }
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        completing=completing,
        host=initiative.host_name,
    )
    if (report is None or completing) and request.method == "POST" and form.is_valid():
        try:
            if completing:
                report_complete(actor=request.user, report=report, **form.cleaned_data)
            else:
                report_submit(actor=request.user, initiative=initiative, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(
                request,
                _("Votre bilan est complété : l'agent va l'examiner de nouveau.")
                if completing
                else _("Votre bilan est déposé. Merci !"),
            )
            return redirect("my_space")
    return render(
        request,
        "fonds/report_form.html",
        {"initiative": initiative, "report": report, "form": form, "completing": completing},
    )


@login_required
def report_review(request, pk):
    """The bilan as the council and the carrier read it, against the dossier's money;
    instructors review it at their desk."""
    initiative = _initiative(pk)
    if not can_view_private_parts(request.user, initiative):
        raise Http404
    report = Report.objects.prefetch_related("documents").filter(initiative=initiative).first()
    money = grant_money(initiative)
    return render(
        request,
        "fonds/report_review.html",
        {
            "initiative": initiative,
            "report": report,
            "comparison": comparison(initiative, report, money),
            "desk": is_instructor_for(request.user, initiative)
            and reverse("fonds_backoffice_report", args=[initiative.pk]),
        },
    )


def report_document(request, pk, document_pk):
    """A piece of the bilan: receipts for the people who handle the dossier; photos for
    everyone too once the bilan is accepted, if the carrier confirmed the people shown
    agreed and no instructor hid them. Not found for the others."""
    document = get_object_or_404(
        ReportDocument.objects.select_related("report__initiative__fund"),
        pk=document_pk,
        report__initiative_id=pk,
    )
    public = document.report.initiative.is_public and is_public_photo(document)
    if not public and not can_view_private_parts(request.user, document.report.initiative):
        raise Http404
    content_type = mimetypes.guess_type(document.file.name)[0] or "application/octet-stream"
    return _private_file_response(document.file, content_type=content_type, public=public)
