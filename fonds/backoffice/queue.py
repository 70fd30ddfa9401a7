"""The queue of dossiers to instruct: every dossier that has left the draft stage, in
the quartiers the person handles, submitted ones first and oldest first."""

from urllib.parse import urlencode

from django import forms
from django.core.paginator import Paginator
from django.db.models import Case, F, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.ids import IdChoiceField
from fonds.models import Initiative, Quartier

from .access import ALL_QUARTIERS, backoffice_quartier_ids, backoffice_quartiers, forbidden

PER_PAGE = 25
Status = Initiative.Status
QUEUE_STATUSES = [(value, label) for value, label in Status.choices if value != Status.DRAFT]


class QueueFilterForm(forms.Form):
    quartier = IdChoiceField(
        label=gettext_lazy("Quartier"),
        queryset=Quartier.objects.none(),
        required=False,
        empty_label=gettext_lazy("Tous mes quartiers"),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Statut"),
        choices=[("", gettext_lazy("Tous les statuts")), *QUEUE_STATUSES],
        required=False,
    )

    def __init__(self, *args, quartiers, every_quartier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quartier"].queryset = quartiers
        if every_quartier:
            self.fields["quartier"].empty_label = gettext_lazy("Tous les quartiers")


def queue_initiatives(quartier_ids, *, quartier=None, status=""):
    """Dossiers out of the draft stage in those quartiers (``ALL_QUARTIERS`` for every
    one): submitted first, then by date of submission, oldest first. Everything a row
    shows comes in the same query."""
    initiatives = Initiative.objects.exclude(status=Status.DRAFT).select_related("fund__quartier")
    if quartier_ids is not ALL_QUARTIERS:
        initiatives = initiatives.filter(fund__quartier_id__in=quartier_ids)
    if quartier is not None:
        initiatives = initiatives.filter(fund__quartier=quartier)
    if status:
        initiatives = initiatives.filter(status=status)
    waiting_first = Case(
        When(status=Status.SUBMITTED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return initiatives.annotate(waiting_first=waiting_first).order_by(
        "waiting_first", F("submitted_at").asc(nulls_last=True), "pk"
    )


def queue_view(request):
    quartier_ids = backoffice_quartier_ids(request.user)
    if quartier_ids == set():
        return forbidden(request, _("Cette page est réservée aux agents instructeurs."))
    form = QueueFilterForm(
        request.GET or None,
        quartiers=backoffice_quartiers(quartier_ids),
        every_quartier=quartier_ids is ALL_QUARTIERS,
    )
    # A bad value in one filter does not discard the other one.
    filters = {}
    if form.is_bound:
        form.is_valid()
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    page = Paginator(queue_initiatives(quartier_ids, **filters), PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = {
        "quartier": getattr(filters.get("quartier"), "pk", ""),
        "status": filters.get("status"),
    }
    return TemplateResponse(
        request,
        "fonds/admin/queue.html",
        {
            "form": form,
            "page_obj": page,
            "initiatives": page.object_list,
            "filter_query": urlencode({k: v for k, v in query.items() if v}),
            "is_filtered": bool(filters),
        },
    )
