"""The council space (/conseil/), made for a phone in a meeting room, and the public
decision pages. Every action is a POST handled by one service; errors come back as
messages, and the page reloads (post/redirect/get)."""

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
from accounts.models import User
from fonds.selectors import budget_totals
from votes.models import AgendaItem, Interest, Message, Session, Vote
from votes.predicates import can_read_deliberation, is_chair_of_council, is_member_of
from votes.selectors import councils_for, minutes_context, public_decisions, thread
from votes.services import (
    answer_post,
    attendance_record,
    decision_publish,
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
    vote_tally,
    voting_rights,
)


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


def _users(ids):
    return list(User.objects.filter(pk__in=[i for i in ids if str(i).isdigit()]))


@login_required
def session_detail(request, pk):
    session = _session_for(request, pk)
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        actions = {
            "attendance": (
                lambda: attendance_record(
                    actor=user, session=session, present=_users(request.POST.getlist("present"))
                ),
                _("Présences enregistrées."),
            ),
            "proxy": (
                lambda: proxy_record(
                    actor=user,
                    session=session,
                    giver=get_object_or_404(User, pk=request.POST.get("giver") or 0),
                    holder=get_object_or_404(User, pk=request.POST.get("holder") or 0),
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
        if action not in actions:
            raise Http404
        _run(request, *actions[action])
        return redirect("council_session", pk=session.pk)
    context = minutes_context(session)
    context |= {
        "is_chair": is_chair_of_council(user, session.council),
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
    vote = item.votes.order_by("-opened_at").first()
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
    return render(
        request,
        "votes/item_detail.html",
        {
            "item": item,
            "initiative": initiative,
            "totals": budget_totals(initiative),
            "thread": thread(initiative),
            "vote": vote,
            "tally": vote_tally(vote) if vote else None,
            "rights": [r for r in rights if r.on_behalf_of.id not in cast_done],
            "is_chair": is_chair_of_council(user, item.session.council),
            "is_member": is_member_of(user, item.session.council),
            "interests": Interest.objects.filter(item=item).select_related("user"),
            "has_interest": Interest.objects.filter(item=item, user=user).exists(),
            "decision": item.decisions.order_by("-recorded_at").first(),
            "modes": Vote.Mode.choices,
        },
    )


def _item_action(request, item, vote):
    user, post = request.user, request.POST
    action = post.get("action")
    decision = item.decisions.order_by("-recorded_at").first()
    actions = {
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
            lambda: interest_declare(actor=user, item=item, note=post.get("note", "")),
            _("Intérêt déclaré : vous ne prendrez pas part au vote sur ce point."),
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
            lambda: item_summarise(actor=user, item=item, summary=post.get("summary", "")),
            _("Résumé des débats enregistré."),
        ),
        "publish": (
            lambda: decision_publish(actor=user, decision=_require(decision)),
            _("Décision publiée ; l'engagement est inscrit au grand livre."),
        ),
    }
    if action not in actions:
        raise Http404
    _run(request, *actions[action])


def _deadline(value):
    """The deadline of a written procedure, typed as a local date and time."""
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        raise DomainError(_("Date limite illisible."), field="deadline")
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _require(value):
    if value is None:
        raise DomainError(_("Rien à faire ici pour l'instant."))
    return value


def _behalf(user, value):
    if not value or str(value) == str(user.pk):
        return None
    return get_object_or_404(User, pk=value if str(value).isdigit() else 0)


@login_required
def vote_tally_json(request, pk):
    vote = get_object_or_404(Vote.objects.select_related("item__session__council"), pk=pk)
    if not is_chair_of_council(request.user, vote.item.session.council):
        raise Http404
    tally = vote_tally(vote)
    _members, eligible, _recused = voting_rights(vote)
    return JsonResponse(
        {
            "for": tally.for_,
            "against": tally.against,
            "abstain": tally.abstain,
            "ballots": tally.ballots,
            "expected": len(eligible),
            "status": vote.status,
        }
    )


def minutes_pdf(request, pk):
    """The procès-verbal. Public once signed; before, for the council and instructors."""
    session = get_object_or_404(Session.objects.select_related("council__quartier"), pk=pk)
    signed = session.minutes_signed_at is not None
    if not signed and not can_read_deliberation(request.user, session.council):
        raise Http404
    from weasyprint import HTML

    html = render_to_string("votes/minutes.html", minutes_context(session), request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"proces-verbal-{session.council.quartier.slug}-{session.starts_at:%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def decision_detail(request, reference):
    decision = get_object_or_404(public_decisions(), reference=reference)
    return render(request, "votes/decision_detail.html", {"decision": decision})


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
