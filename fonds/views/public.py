from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError
from fonds.forms import InitiativeFilterForm
from fonds.maps import allow_map_tiles, map_context
from fonds.models import Initiative, Support
from fonds.predicates import (
    can_edit_initiative,
    can_read_attachment,
    can_support,
    can_view_initiative,
    can_view_private_parts,
    can_withdraw,
    is_author,
)
from fonds.selectors import budget_totals, map_points, public_initiatives, timelines
from fonds.services import initiative_support
from fonds.trail import public_trail

PAGE_SIZE = 20


def initiative_list(request):
    form = InitiativeFilterForm(request.GET or None)
    form.is_valid()
    filters = getattr(form, "cleaned_data", {})
    queryset = public_initiatives(
        quartier=filters.get("quartier"),
        fund=filters.get("fund"),
        theme=filters.get("theme"),
        status=filters.get("status"),
        text=filters.get("q"),
    )
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    response = render(
        request,
        "fonds/initiative_list.html",
        {
            "form": form,
            "page_obj": page,
            "query": query.urlencode(),
            "points": map_points(queryset),
            **map_context(request),
        },
    )
    return allow_map_tiles(request, response)


def initiative_detail(request, pk):
    initiative = get_object_or_404(
        Initiative.objects.select_related("fund__quartier", "theme", "report")
        .prefetch_related("budget_lines", "attachments", "report__documents")
        .annotate(support_count=Count("supports")),
        pk=pk,
    )
    user = request.user
    if not can_view_initiative(user, initiative):
        raise Http404
    author = is_author(user, initiative)
    response = render(
        request,
        "fonds/initiative_detail.html",
        {
            "initiative": initiative,
            "totals": budget_totals(initiative),
            "show_private": can_view_private_parts(user, initiative),
            "attachments": [
                attachment
                for attachment in initiative.attachments.all()
                if can_read_attachment(user, attachment)
            ],
            "is_author": author,
            "can_edit": can_edit_initiative(user, initiative),
            "can_withdraw": can_withdraw(user, initiative),
            "can_support": can_support(user, initiative),
            "has_supported": user.is_authenticated
            and Support.objects.filter(initiative=initiative, user=user).exists(),
            "timeline": timelines([initiative])[initiative.pk] if author else [],
            "trail": public_trail(initiative),
            "points": map_points(Initiative.objects.filter(pk=initiative.pk)),
            **map_context(request),
        },
    )
    return allow_map_tiles(request, response)


@login_required
@require_POST
def initiative_support_view(request, pk):
    initiative = get_object_or_404(Initiative.objects.select_related("fund"), pk=pk)
    if not can_view_initiative(request.user, initiative):
        raise Http404
    try:
        initiative_support(actor=request.user, initiative=initiative)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Merci : votre soutien est enregistré."))
    return redirect("initiative_detail", pk=pk)
