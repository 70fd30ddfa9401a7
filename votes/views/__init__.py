"""The council space (/conseil/), made for a phone in a meeting room, and the public
decision pages. Every action is a POST handled by one service; errors come back as
messages, and the page reloads (post/redirect/get)."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.errors import DomainError
from accounts.ids import parse_id
from accounts.models import User
from accounts.text import clean_text
from fonds.selectors import budget_totals
from votes.models import AgendaItem, Interest, Message, Session, Vote
from votes.predicates import can_read_deliberation, is_member_of
from votes.selectors import (
    councils_for,
    minutes_context,
    named_tally,
    public_decisions,
    thread,
    vote_progress,
)
from votes.services import (
    answer_post,
    attendance_record,
    decision_record,
    interest_declare,
    item_summarise,
    message_post,
    minutes_sign,
    proxy_record,
    session_close,
    session_close_without_quorum,
    session_open,
    vote_cast,
    vote_close,
    vote_open,
    voting_rights,
)
from votes.services.ballots import item_designate_acting_chair
from votes.services.common import (
    acting_chair_candidates,
    is_presiding,
    presence_applies,
    session_presidents,
)

MAX_PRESENT = 500
MAX_SUMMARY = 5000
MAX_NOTE = 300


def _run(request, action, success):
    try:
        action()
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


@login_required
def council_home(request):
    councils = list(councils_for(request.user))
    sessions = (
        Session.objects.filter(council__in=councils)
        .select_related("council__quartier")
        .order_by("-starts_at")[:40]
    )
    return render(request, "votes/council_home.html", {"councils": councils, "sessions": sessions})


def _session_for(request, pk):
    session = get_object_or_404(Session.objects.select_related("council__quartier"), pk=pk)
    if not can_read_deliberation(request.user, session.council):
        raise Http404
    return session


def _id(value):
    """The id typed into a form field, or a French error."""
    number = parse_id(value)
    if number is None:
        raise DomainError(_("Choix invalide : recommencez depuis la page."))
    return number


def _user(value):
    """The person an id names: a French error if the id is malformed, a 404 if nobody
    has it (a member of the council or not: the service decides)."""
    return get_object_or_404(User, pk=_id(value))


def _users(values):
    if len(values) > MAX_PRESENT:
        raise DomainError(_("Choix invalide : recommencez depuis la page."))
    ids = {_id(value) for value in values}
    users = list(User.objects.filter(pk__in=ids))
    if len(users) != len(ids):
        raise DomainError(_("Seuls les membres en exercice du conseil sont pointés."))
    return users


def _session_actions(request, session):
    user, post = request.user, request.POST
    return {
        "attendance": (
            lambda: attendance_record(
                actor=user, session=session, present=_users(post.getlist("present"))
            ),
            _("Présences enregistrées."),
        ),
        "proxy": (
            lambda: proxy_record(
                actor=user,
                session=session,
                giver=_user(post.get("giver")),
                holder=_user(post.get("holder")),
            ),
            _("Pouvoir enregistré."),
        ),
        "open": (lambda: session_open(actor=user, session=session), _("Séance ouverte.")),
        "no_quorum": (
            lambda: session_close_without_quorum(actor=user, session=session),
            _("Séance close faute de quorum."),
        ),
        "close": (lambda: session_close(actor=user, session=session), _("Séance close.")),
        "sign": (lambda: minutes_sign(actor=user, session=session), _("Procès-verbal signé.")),
    }


@login_required
def session_detail(request, pk):
    session = _session_for(request, pk)
    user = request.user
    if request.method == "POST":
        actions = _session_actions(request, session)
        action = request.POST.get("action")
        if action not in actions:
            raise Http404
        _run(request, *actions[action])
        return redirect("council_session", pk=session.pk)
    context = minutes_context(session)
    context |= {
        "presides_session": user.pk in session_presidents(session),
        "present_ids": {m.user_id for m, present in context["mandates"] if present},
    }
    return render(request, "votes/session_detail.html", context)


def _item_for(request, pk):
    item = get_object_or_404(
        AgendaItem.objects.select_related("session__council__quartier", "initiative__fund"), pk=pk
    )
    if not can_read_deliberation(request.user, item.session.council):
        raise Http404
    return item


@login_required
def item_detail(request, pk):
    item = _item_for(request, pk)
    user = request.user
    vote = item.votes.first()  # one vote per item
    if request.method == "POST":
        _item_action(request, item, vote)
        return redirect("council_item", pk=item.pk)
    initiative = item.initiative
    rights = []
    cast_done = set()
    if vote is not None and vote.status == Vote.Status.OPEN:
        _members, eligible, _recused = voting_rights(vote)
        rights = sorted(
            (r for r in eligible if r.voter.id == user.pk), key=lambda r: r.on_behalf_of.id
        )
        model = vote.participations if vote.mode == Vote.Mode.SECRET else vote.casts
        cast_done = set(model.values_list("member_id", flat=True))
    in_session = presence_applies(item, vote)
    decision = item.decisions.order_by("-recorded_at").first()
    presides_session = user.pk in session_presidents(item.session)
    candidates = []
    if presides_session and decision is None and item.session.status != Session.Status.CLOSED:
        candidates = acting_chair_candidates(item, in_session=in_session)
    return render(
        request,
        "votes/item_detail.html",
        {
            "item": item,
            "initiative": initiative,
            "totals": budget_totals(initiative),
            "thread": thread(initiative),
            "vote": vote,
            "progress": vote_progress(vote) if vote else None,
            "rights": [r for r in rights if r.on_behalf_of.id not in cast_done],
            "presides": is_presiding(user, item, in_session=in_session),
            "can_publish": decision is not None
            and not decision.is_published
            and is_presiding(user, item, in_session=False),
            "presides_session": presides_session,
            "candidates": candidates,
            "is_member": is_member_of(user, item.session.council),
            "interests": Interest.objects.filter(item=item).select_related("user"),
            "has_interest": Interest.objects.filter(item=item, user=user).exists(),
            "decision": decision,
            "modes": Vote.Mode.choices,
        },
    )


def _item_actions(request, item, vote):
    """The POST actions of an item's page, each one service. Publication is not one of
    them: it has its confirmation page (``votes.views.publication``)."""
    user, post = request.user, request.POST
    return {
        "message": (
            lambda: message_post(
                actor=user,
                initiative=item.initiative,
                body=post.get("body", ""),
                question=post.get("question") == "1",
            ),
            _("Message publié."),
        ),
        "interest": (
            lambda: interest_declare(
                actor=user,
                item=item,
                note=clean_text(
                    post.get("note"), max_length=MAX_NOTE, multiline=False, field="note"
                ),
            ),
            _("Intérêt déclaré : vous ne prendrez pas part au vote sur ce point."),
        ),
        "designate": (
            lambda: item_designate_acting_chair(
                actor=user, item=item, member=_user(post.get("member"))
            ),
            _("Membre désigné pour présider ce point."),
        ),
        "vote_open": (
            lambda: vote_open(
                actor=user,
                item=item,
                mode=post.get("mode", ""),
                proposed_amount=post.get("amount", ""),
                deadline=_deadline(post.get("deadline")),
            ),
            _("Vote ouvert."),
        ),
        "cast": (
            lambda: vote_cast(
                actor=user,
                vote=_require(vote),
                choice=post.get("choice", ""),
                on_behalf_of=_behalf(user, post.get("on_behalf_of")),
            ),
            _("Vote enregistré."),
        ),
        "vote_close": (lambda: vote_close(actor=user, vote=_require(vote)), _("Vote clos.")),
        "decide": (
            lambda: decision_record(
                actor=user, item=item, defer=post.get("defer") == "1", reason=post.get("reason", "")
            ),
            _("Décision enregistrée."),
        ),
        "summary": (
            lambda: item_summarise(
                actor=user,
                item=item,
                summary=clean_text(post.get("summary"), max_length=MAX_SUMMARY, field="summary"),
            ),
            _("Résumé des débats enregistré."),
        ),
    }


def _item_action(request, item, vote):
    actions = _item_actions(request, item, vote)
    action = request.POST.get("action")
    if action not in actions:
        raise Http404
    _run(request, *actions[action])


def _deadline(value):
    """The deadline of a written procedure, typed as a local date and time. A date that
    does not exist (31 February) or lies beyond the calendar is unreadable, not a 500."""
    if not value:
        return None
    unreadable = DomainError(_("Date limite illisible."), field="deadline")
    try:
        moment = parse_datetime(str(value))
        if moment is None:
            raise unreadable
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        moment.astimezone(datetime.UTC)  # beyond year 1..9999 once in UTC
    except (ValueError, OverflowError):
        raise unreadable from None
    return moment


def _require(value):
    if value is None:
        raise DomainError(_("Rien à faire ici pour l'instant."))
    return value


def _behalf(user, value):
    if not value or value == str(user.pk):
        return None
    return _user(value)


@login_required
def vote_tally_json(request, pk):
    """The presiding officer's live view of a vote: how many have voted — and, except
    for a secret vote still open, the counts."""
    vote = get_object_or_404(
        Vote.objects.select_related("item__session__council", "item__initiative"), pk=pk
    )
    if not is_presiding(request.user, vote.item, in_session=vote.deadline is None):
        raise Http404
    return JsonResponse(vote_progress(vote))


def minutes_pdf(request, pk):
    """The procès-verbal. Public once signed; before, for the council and instructors."""
    session = get_object_or_404(Session.objects.select_related("council__quartier"), pk=pk)
    signed = session.minutes_signed_at is not None
    if not signed and not can_read_deliberation(request.user, session.council):
        raise Http404
    from weasyprint import HTML

    html = render_to_string("votes/minutes.html", minutes_context(session), request=request)
    # Tagged for screen readers (PDF/UA), as downloadable documents must be (RGAA).
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf(
        pdf_variant="pdf/ua-1"
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"proces-verbal-{session.council.quartier.slug}-{session.starts_at:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def decision_detail(request, reference):
    decision = get_object_or_404(public_decisions(), reference=reference)
    return render(
        request,
        "votes/decision_detail.html",
        {"decision": decision, "tally": named_tally(decision)},
    )


@login_required
@require_POST
def question_answer(request, pk):
    question = get_object_or_404(Message.objects.select_related("initiative"), pk=pk)
    if question.initiative.author_id != request.user.pk:
        raise Http404
    _run(
        request,
        lambda: answer_post(actor=request.user, question=question, body=request.POST.get("body")),
        _("Votre réponse est transmise au conseil."),
    )
    return redirect("my_space")
