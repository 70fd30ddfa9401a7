"""Planning sessions from the council space: a new session (meeting or written
procedure), its date and place, its agenda built from the quartier's admissible
dossiers, and its convocation. For the chair, the quartier's instructors and the
administrators (``can_prepare_sessions``); the council's members get a 403, anyone else
a 404. Every action is a POST handled by one service (post/redirect/get)."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.errors import DomainError
from accounts.forms import add_domain_error
from accounts.ids import IdChoiceField, id_or_404
from fonds.models import Initiative
from votes.models import AgendaItem, Council, Session
from votes.predicates import can_prepare_sessions, can_read_deliberation
from votes.selectors import agenda_planning, councils_to_prepare, sessions_of
from votes.services import (
    agenda_add,
    agenda_move,
    agenda_remove,
    session_convene,
    session_plan,
    session_update,
)

PUBLICITY = [
    ("1", gettext_lazy("Séance publique : annoncée sur le site, ouverte aux habitants")),
    ("0", gettext_lazy("Séance à huis clos : ni annoncée ni ouverte au public")),
]


class SessionForm(forms.Form):
    """The shape of a session's date, time, place and publicity; the services decide."""

    day = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    time = forms.TimeField(
        label=gettext_lazy("Heure"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    place = forms.CharField(
        label=gettext_lazy("Lieu"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Facultatif pour une procédure écrite."),
    )
    is_public = forms.TypedChoiceField(
        label=gettext_lazy("Publicité"),
        choices=PUBLICITY,
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="1",
    )

    def starts_at(self):
        """The date and time typed, in the commune's time zone."""
        moment = datetime.datetime.combine(self.cleaned_data["day"], self.cleaned_data["time"])
        return timezone.make_aware(moment)


class PlanForm(SessionForm):
    procedure = forms.ChoiceField(
        label=gettext_lazy("Procédure"),
        choices=Session.Procedure.choices,
        widget=forms.RadioSelect,
        initial=Session.Procedure.MEETING,
    )
    reconvened_from = IdChoiceField(
        label=gettext_lazy("Séance convoquée à nouveau (facultatif)"),
        queryset=Session.objects.none(),
        required=False,
        empty_label=gettext_lazy("— Aucune : une séance ordinaire —"),
        help_text=gettext_lazy(
            "Après une séance close faute de quorum : la nouvelle séance délibère sans "
            "condition de quorum."
        ),
    )
    field_order = ["procedure", "day", "time", "place", "is_public", "reconvened_from"]

    def __init__(self, *args, council, **kwargs):
        super().__init__(*args, **kwargs)
        failed = Session.objects.filter(
            council=council,
            status=Session.Status.CLOSED,
            opened_at__isnull=True,
            reconvened_as__isnull=True,
        ).order_by("-starts_at")
        self.fields["reconvened_from"].queryset = failed
        self.fields["reconvened_from"].label_from_instance = lambda session: (
            _("Séance du %(date)s") % {"date": f"{timezone.localtime(session.starts_at):%d/%m/%Y}"}
        )
        if not failed.exists():
            del self.fields["reconvened_from"]


def _require_preparer(user, council):
    """A 403 for those who read the council's deliberations, a 404 for everyone else."""
    if can_prepare_sessions(user, council):
        return
    if can_read_deliberation(user, council):
        raise PermissionDenied
    raise Http404


@login_required
def planning_home(request):
    """The councils whose sessions the person prepares, and their sessions."""
    councils = councils_to_prepare(request.user)
    return render(
        request,
        "votes/planning/home.html",
        {"councils": councils, "sessions": sessions_of(councils) if councils else []},
    )


@login_required
def session_new(request, pk):
    council = get_object_or_404(Council.objects.select_related("quartier"), pk=pk)
    _require_preparer(request.user, council)
    form = PlanForm(request.POST or None, council=council)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = session_plan(
                actor=request.user,
                council=council,
                starts_at=form.starts_at(),
                place=data["place"],
                is_public=data["is_public"],
                procedure=data["procedure"],
                reconvened_from=data.get("reconvened_from"),
            )
        except DomainError as error:
            add_domain_error(form, _on_form(error))
        else:
            messages.success(request, _("Séance planifiée. Composez maintenant son ordre du jour."))
            return redirect("council_session_prepare", pk=session.pk)
    return render(request, "votes/planning/session_new.html", {"council": council, "form": form})


def _on_form(error):
    """The services name the moment ``starts_at``; the form types it as a date."""
    if "starts_at" in error.errors:
        error.errors = {"day": error.errors["starts_at"]}
    return error


def _session_for(request, pk):
    session = get_object_or_404(Session.objects.select_related("council__quartier"), pk=pk)
    _require_preparer(request.user, session.council)
    return session


def _item_of(request, session):
    return get_object_or_404(
        AgendaItem.objects.select_related("session__council"),
        pk=id_or_404(request.POST.get("item")),
        session=session,
    )


# The actions of the planning page: each takes the request and the session, calls one
# service and returns the message to show.


def _add(request, session):
    initiative = get_object_or_404(
        Initiative.objects.select_related("fund"), pk=id_or_404(request.POST.get("initiative"))
    )
    agenda_add(actor=request.user, session=session, initiative=initiative)
    return _("« %(title)s » est inscrit à l'ordre du jour.") % {"title": initiative.title}


def _move(request, session):
    item = _item_of(request, session)
    agenda_move(actor=request.user, item=item, direction=request.POST.get("direction", ""))
    return _("Ordre du jour modifié.")


def _remove(request, session):
    item = _item_of(request, session)
    agenda_remove(actor=request.user, item=item)
    return _(
        "« %(title)s » est retiré de l'ordre du jour ; le dossier est de nouveau recevable."
    ) % {"title": item.initiative.title}


def _convene(request, session):
    session_convene(actor=request.user, session=session)
    return _("Convocation envoyée à chaque membre en exercice.")


ACTIONS = {"add": _add, "move": _move, "remove": _remove, "convene": _convene}


@login_required
def session_prepare(request, pk):
    session = _session_for(request, pk)
    form = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "update":
            form = SessionForm(request.POST)
            if _update(request, session, form):
                return redirect("council_session_prepare", pk=session.pk)
        elif action in ACTIONS:
            try:
                success = ACTIONS[action](request, session)
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, success)
            return redirect("council_session_prepare", pk=session.pk)
        else:
            raise Http404
    if form is None:
        local = timezone.localtime(session.starts_at)
        form = SessionForm(
            initial={
                "day": local.date(),
                "time": local.time().replace(second=0, microsecond=0),
                "place": session.place,
                "is_public": "1" if session.is_public else "0",
            }
        )
    context = agenda_planning(session) | {
        "session": session,
        "council": session.council,
        "form": form,
        "planned": session.status == Session.Status.PLANNED,
        "can_add": session.status in (Session.Status.PLANNED, Session.Status.OPEN),
        "written": session.procedure == Session.Procedure.WRITTEN,
    }
    return render(request, "votes/planning/session_prepare.html", context)


def _update(request, session, form):
    if not form.is_valid():
        return False
    try:
        updated = session_update(
            actor=request.user,
            session=session,
            starts_at=form.starts_at(),
            place=form.cleaned_data["place"],
            is_public=form.cleaned_data["is_public"],
        )
    except DomainError as error:
        add_domain_error(form, _on_form(error))
        return False
    if (
        updated.convened_at is not None
        and updated.convocation_sequence > session.convocation_sequence
    ):
        messages.success(request, _("Séance modifiée ; la mise à jour est envoyée aux membres."))
    else:
        messages.success(request, _("Séance modifiée."))
    return True
