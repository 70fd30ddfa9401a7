"""The public list of the councils' sessions (/seances/): the public sessions to come
with their agendas' public dossiers, and the past ones with their signed minutes.
Sessions closed to the public are not listed."""

from django.core.paginator import Paginator
from django.shortcuts import render

from votes.selectors import public_sessions

UPCOMING_SHOWN = 50
PAST_PER_PAGE = 20


def session_list(request):
    upcoming = list(public_sessions(upcoming=True)[:UPCOMING_SHOWN])
    page = Paginator(public_sessions(upcoming=False), PAST_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "votes/session_list.html",
        {"upcoming": upcoming, "page_obj": page, "past": page.object_list},
    )
