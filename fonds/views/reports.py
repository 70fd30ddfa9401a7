import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError
from accounts.forms import add_domain_error
from fonds.forms import ReportForm
from fonds.models import Initiative, Report, ReportDocument
from fonds.predicates import can_view_private_parts, is_author, is_instructor_for
from fonds.services import report_accept, report_submit

from .files import _private_file_response


def _initiative(pk):
    return get_object_or_404(Initiative.objects.select_related("fund__quartier"), pk=pk)


@login_required
def report_file(request, pk):
    """The author files the bilan of a granted initiative."""
    initiative = _initiative(pk)
    if not is_author(request.user, initiative):
        raise Http404
    report = Report.objects.filter(initiative=initiative).first()
    form = ReportForm(request.POST or None, request.FILES or None)
    if report is None and request.method == "POST" and form.is_valid():
        try:
            report_submit(actor=request.user, initiative=initiative, **form.cleaned_data)
        except DomainError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Votre bilan est déposé. Merci !"))
            return redirect("my_space")
    return render(
        request,
        "fonds/report_form.html",
        {"initiative": initiative, "report": report, "form": form},
    )


@login_required
def report_review(request, pk):
    initiative = _initiative(pk)
    if not can_view_private_parts(request.user, initiative):
        raise Http404
    report = Report.objects.prefetch_related("documents").filter(initiative=initiative).first()
    grants = initiative.grants.select_related("account")
    return render(
        request,
        "fonds/report_review.html",
        {
            "initiative": initiative,
            "report": report,
            "grants": grants,
            "can_accept": report is not None
            and is_instructor_for(request.user, initiative)
            and report.status == Report.Status.SUBMITTED,
        },
    )


@login_required
@require_POST
def report_accept_view(request, pk):
    initiative = _initiative(pk)
    report = get_object_or_404(Report, initiative=initiative)
    if not is_instructor_for(request.user, initiative):
        raise Http404
    try:
        report_accept(actor=request.user, report=report)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Bilan accepté : le reliquat est libéré et le dossier clôturé.")
        )
    return redirect("report_review", pk=pk)


@login_required
def report_document(request, pk, document_pk):
    document = get_object_or_404(
        ReportDocument.objects.select_related("report__initiative__fund"),
        pk=document_pk,
        report__initiative_id=pk,
    )
    if not can_view_private_parts(request.user, document.report.initiative):
        raise Http404
    content_type = mimetypes.guess_type(document.file.name)[0] or "application/octet-stream"
    return _private_file_response(document.file, content_type=content_type, public=False)
