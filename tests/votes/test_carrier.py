"""The council's questions reach the carrier in their space (« Mon espace », a page of
`fonds`) through the panel `votes` registers there: each question with its answer, or
the form to answer it; the council's own discussion never shows."""

import pytest

from fonds.views.my_space import DOSSIER_PANELS
from votes.carrier import council_questions
from votes.services import answer_post, message_post

pytestmark = pytest.mark.django_db


def test_votes_registers_its_panel_in_the_authors_space():
    assert ("votes/includes/carrier_questions.html", council_questions) in DOSSIER_PANELS


def test_the_author_sees_the_councils_question_and_answers_it(client, members, author, admissible):
    message_post(actor=members[1], initiative=admissible, body="Avis entre nous.")
    question = message_post(
        actor=members[1], initiative=admissible, body="Qui entretient les bacs ?", question=True
    )
    client.force_login(author)
    html = client.get("/mon-espace/").content.decode()
    assert "Qui entretient les bacs ?" in html
    assert f'action="/mon-espace/questions/{question.pk}/repondre/"' in html
    assert "Avis entre nous." not in html

    answer_post(actor=author, question=question, body="L'association, chaque semaine.")
    html = client.get("/mon-espace/").content.decode()
    assert "association, chaque semaine." in html
    assert f"/mon-espace/questions/{question.pk}/repondre/" not in html


def test_the_questions_are_read_in_one_query(
    members, admissible, make_admissible, django_assert_num_queries
):
    other = make_admissible(title="Un banc sous le tilleul")
    for initiative in (admissible, other):
        message_post(actor=members[1], initiative=initiative, body="Un devis ?", question=True)
    with django_assert_num_queries(1):
        questions = council_questions([admissible, other])
    assert {pk: len(entries) for pk, entries in questions.items()} == {
        admissible.pk: 1,
        other.pk: 1,
    }
