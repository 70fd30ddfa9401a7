"""Publishing a council decision: a confirmation page that shows its effect on the
fund's ledger, behind a fresh authentication like every other money action."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.errors import DomainError
from fonds.ledger import available_account
from fonds.money import euros
from votes.models import Decision
from votes.predicates import can_read_deliberation
from votes.services import decision_publish
from votes.services.common import is_presiding


def _ledger_effect(decision):
    """The fund's available money before and after the decision's COMMIT (a refusal
    or an adjournment commits nothing)."""
    before = available_account(decision.item.initiative.fund).balance
    amount = decision.amount if decision.outcome == Decision.Outcome.GRANTED else None
    after = before - amount if amount else before
    return amount, before, after


@login_required
@reauthentication_required
def council_publish(request, pk):
    decision = get_object_or_404(
        Decision.objects.select_related(
            "item__session__council__quartier", "item__initiative__fund", "vote"
        ),
        pk=pk,
    )
    item = decision.item
    user = request.user
    if not can_read_deliberation(user, item.session.council) or not is_presiding(
        user, item, in_session=False
    ):
        raise Http404
    if decision.is_published:
        messages.info(request, _("Cette décision est déjà publiée."))
        return redirect("council_item", pk=item.pk)
    if request.method == "POST" and request.POST.get("confirmed") == "1":
        try:
            decision_publish(actor=user, decision=decision)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Décision publiée ; l'engagement est inscrit au grand livre.")
                if decision.outcome == Decision.Outcome.GRANTED
                else _("Décision publiée."),
            )
            return redirect("council_item", pk=item.pk)
    amount, before, after = _ledger_effect(decision)
    summary = [
        (_("Décision"), decision.reference),
        (_("Initiative"), item.initiative.title),
        (_("Fonds"), str(item.initiative.fund)),
        (_("Décision prise"), decision.get_outcome_display()),
        (_("Montant engagé"), euros(amount) if amount else _("aucun")),
        (_("Disponible dans le fonds avant"), euros(before)),
        (_("Disponible dans le fonds après"), euros(after)),
    ]
    return render(
        request,
        "votes/publish_confirm.html",
        {
            "decision": decision,
            "item": item,
            "summary": summary,
            "granted": amount is not None,
            "short": after < 0,
        },
    )
