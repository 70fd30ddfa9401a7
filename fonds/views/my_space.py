from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from fonds.models import Initiative
from fonds.selectors import own_initiatives, timelines
from fonds.views.bank import PAYABLE_STATUSES

# What other apps show under each dossier of the author's space, as pairs
# (template, function(initiatives) -> {initiative pk: data}): `votes` adds the council's
# questions to the carrier (votes/carrier.py). `fonds` names no app above it; they
# register here when they load.
DOSSIER_PANELS = []


def dossier_panel(template_name):
    """Registers the decorated function as a panel under each of the author's dossiers:
    it receives the dossiers and returns, by dossier pk, the ``data`` the template shows
    (dossiers absent from its answer get no panel)."""

    def register(function):
        if (template_name, function) not in DOSSIER_PANELS:
            DOSSIER_PANELS.append((template_name, function))
        return function

    return register


@login_required
def my_space(request):
    """A resident's own dossiers, each with its status timeline and the instructors'
    messages, and the panels other apps add (the council's questions)."""
    initiatives = list(own_initiatives(request.user))
    by_initiative = timelines(initiatives)
    panels = [(template, function(initiatives)) for template, function in DOSSIER_PANELS]
    return render(
        request,
        "fonds/my_space.html",
        {
            "entries": [
                {
                    "initiative": initiative,
                    "timeline": by_initiative.get(initiative.pk, []),
                    "panels": [
                        (template, data[initiative.pk])
                        for template, data in panels
                        if initiative.pk in data
                    ],
                    "editable": initiative.status in Initiative.EDITABLE_STATUSES,
                    "withdrawable": initiative.status in Initiative.WITHDRAWABLE_STATUSES,
                    "report_due": initiative.status == Initiative.Status.GRANTED,
                    "account_due": initiative.status in PAYABLE_STATUSES,
                    "report": getattr(initiative, "report", None),
                }
                for initiative in initiatives
            ],
            "unread_notifications": request.user.notifications.filter(read_at__isnull=True).count(),
        },
    )


@login_required
def my_notifications(request):
    """Everything the site told the person, newest first; shown, the new ones are read."""
    from django.core.paginator import Paginator
    from django.utils import timezone

    from accounts.notifications import rendered

    notifications = request.user.notifications.order_by("-created_at", "-pk")
    page = Paginator(notifications, 30).get_page(request.GET.get("page"))
    rows = [{"notification": n, **rendered(n)} for n in page.object_list]
    unread = [row["notification"].pk for row in rows if row["notification"].read_at is None]
    if unread:
        request.user.notifications.filter(pk__in=unread).update(read_at=timezone.now())
    return render(
        request,
        "fonds/my_notifications.html",
        {"rows": rows, "page_obj": page, "unread": set(unread)},
    )
