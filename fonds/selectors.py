"""Reads shared by pages, the back-office and (later) the API."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEntry

from .models import BudgetLine, Initiative

# What the author sees in the timeline of their dossier, by audit action.
TIMELINE_LABELS = {
    "fonds.initiative.create": _("Brouillon créé"),
    "fonds.initiative.submit": _("Dossier déposé"),
    "fonds.initiative.request_completion": _("Compléments demandés par l'instructeur"),
    "fonds.initiative.admissible": _("Dossier déclaré recevable"),
    "fonds.initiative.inadmissible": _("Dossier déclaré irrecevable"),
    "fonds.initiative.withdraw": _("Dossier retiré"),
}


def public_initiatives(*, quartier=None, fund=None, theme=None, status=None, text=None):
    """Public dossiers with their fund, quartier and theme, and their support count,
    filtered; one query whatever their number."""
    queryset = (
        Initiative.objects.public()
        .select_related("fund__quartier", "theme")
        .annotate(support_count=Count("supports"))
        .order_by("-submitted_at", "-pk")
    )
    if quartier:
        queryset = queryset.filter(fund__quartier=quartier)
    if fund:
        queryset = queryset.filter(fund=fund)
    if theme:
        queryset = queryset.filter(theme=theme)
    if status:
        queryset = queryset.filter(status=status)
    if text:
        queryset = queryset.filter(
            Q(title__icontains=text) | Q(summary__icontains=text) | Q(carrier_name__icontains=text)
        )
    return queryset


def map_points(queryset, limit=1000):
    """The located initiatives of a list, as plain data for the map."""
    rows = queryset.filter(latitude__isnull=False, longitude__isnull=False).values_list(
        "pk", "title", "latitude", "longitude", "status"
    )[:limit]
    return [
        {"id": pk, "title": title, "lat": float(lat), "lng": float(lng), "status": str(status)}
        for pk, title, lat, lng, status in rows
    ]


def budget_totals(initiative):
    """Expenses, co-funding and requested amount from the dossier's budget lines (the
    lines must be prefetched or are read once)."""
    expenses = cofunding = Decimal("0")
    for line in initiative.budget_lines.all():
        if line.kind == BudgetLine.Kind.EXPENSE:
            expenses += line.amount
        else:
            cofunding += line.amount
    return {"expenses": expenses, "cofunding": cofunding, "requested": expenses - cofunding}


def timelines(initiatives):
    """The status timeline of each dossier, in one query: {initiative pk: [entries]}."""
    ids = [str(initiative.pk) for initiative in initiatives]
    entries = AuditEntry.objects.filter(
        target_type="fonds.initiative", target_id__in=ids, action__in=TIMELINE_LABELS
    ).order_by("created_at", "id")
    result = defaultdict(list)
    for entry in entries:
        result[int(entry.target_id)].append(
            {
                "at": entry.created_at,
                "label": TIMELINE_LABELS[entry.action],
                "message": entry.data.get("reason", ""),
                "from_instructor": entry.action
                in {
                    "fonds.initiative.request_completion",
                    "fonds.initiative.admissible",
                    "fonds.initiative.inadmissible",
                },
            }
        )
    return result


def own_initiatives(user):
    return (
        Initiative.objects.filter(author=user)
        .select_related("fund__quartier", "theme")
        .order_by("-updated_at")
    )
