from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from fonds.models import Initiative
from fonds.selectors import council_questions, own_initiatives, timelines


@login_required
def my_space(request):
    """A resident's own dossiers, each with its status timeline and the instructors'
    messages."""
    initiatives = list(own_initiatives(request.user))
    by_initiative = timelines(initiatives)
    questions = council_questions(initiatives)
    return render(
        request,
        "fonds/my_space.html",
        {
            "entries": [
                {
                    "initiative": initiative,
                    "timeline": by_initiative.get(initiative.pk, []),
                    "questions": questions.get(initiative.pk, []),
                    "editable": initiative.status in Initiative.EDITABLE_STATUSES,
                    "withdrawable": initiative.status in Initiative.WITHDRAWABLE_STATUSES,
                    "report_due": initiative.status == Initiative.Status.GRANTED,
                }
                for initiative in initiatives
            ]
        },
    )
