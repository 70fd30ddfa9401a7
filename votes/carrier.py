"""What the council shows the author of a dossier in their space (« Mon espace », a page
of `fonds`): its questions to the carrier, each with the answer or the form to answer.
The thread belongs to `votes`; `fonds` shows the space and names no app above it, so
this module registers the panel there (loaded by ``VotesConfig.ready``)."""

from collections import defaultdict

from fonds.views.my_space import dossier_panel

from .models import Message
from .selectors import agenda_sessions


@dossier_panel("votes/includes/carrier_questions.html")
def council_questions(initiatives):
    """The council's questions to the author on each dossier, with their answers, in
    one query: {initiative pk: [(question, [answers])]}. Discussion among the council
    is never shown here."""
    rows = Message.objects.filter(
        initiative__in=[initiative.pk for initiative in initiatives],
        kind__in=[Message.Kind.QUESTION, Message.Kind.ANSWER],
    ).order_by("created_at", "id")
    questions, answers = {}, defaultdict(list)
    for row in rows:
        if row.kind == Message.Kind.QUESTION:
            questions[row.pk] = row
        else:
            answers[row.answers_id].append(row)
    result = defaultdict(list)
    for question in questions.values():
        result[question.initiative_id].append((question, answers.get(question.pk, [])))
    return dict(result)


# The session each of the author's dossiers on an agenda waits for, with its date.
dossier_panel("votes/planning/_carrier_agenda.html")(agenda_sessions)
