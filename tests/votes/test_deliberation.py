"""Deliberation on a dossier: the council's members and the quartier's instructors write;
nobody else does. A question is emailed to the author, who alone answers it."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail

from accounts.errors import DomainError, PermissionDenied
from votes.models import Message
from votes.services import answer_post, message_post

pytestmark = pytest.mark.django_db

WRITERS = ["chair", "voting_member", "ex_officio", "instructor"]
OUTSIDERS = ["resident", "other_instructor", "author", "administrator", "anonymous", "role_only"]


@pytest.fixture
def person(members, people):
    """``person(name)``: one of the people the deliberation tests name."""
    by_name = {
        "chair": members[0],
        "voting_member": members[1],
        "ex_officio": members[5],
        "anonymous": AnonymousUser(),
        # Holds the council-member role for the quartier but no mandate on the council.
        "role_only": people["council_member"],
    }
    return lambda name: by_name.get(name) or people[name]


def test_the_council_and_the_quartiers_instructors_deliberate(
    person, admissible, django_capture_on_commit_callbacks
):
    for who in WRITERS:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            message = message_post(
                actor=person(who), initiative=admissible, body=" Avis favorable. "
            )
        assert (message.kind, message.body, message.author) == (
            "discussion",
            "Avis favorable.",
            person(who),
        )
        assert callbacks == [] and mail.outbox == []  # a discussion is not sent to the author


def test_nobody_else_deliberates(person, admissible, nothing_written):
    for who in OUTSIDERS:
        for question in (False, True):
            with nothing_written(), pytest.raises(PermissionDenied):
                message_post(
                    actor=person(who), initiative=admissible, body="Bonjour", question=question
                )


def test_members_of_one_quartier_do_not_deliberate_on_another(
    members, people, other_fund, make_admissible, nothing_written
):
    elsewhere = make_admissible(fund=other_fund, instructor=people["other_instructor"])
    with nothing_written(), pytest.raises(PermissionDenied):
        message_post(actor=members[1], initiative=elsewhere, body="Bonjour")


def test_an_empty_or_overlong_message_is_refused(members, admissible, nothing_written):
    for body in ("", "   ", "x" * 5001):
        with nothing_written(), pytest.raises(DomainError):
            message_post(actor=members[1], initiative=admissible, body=body)


def test_a_question_is_emailed_to_the_author_who_answers_it(
    members, author, admissible, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        question = message_post(
            actor=members[1], initiative=admissible, body="Qui entretient les bacs ?", question=True
        )
    assert question.kind == Message.Kind.QUESTION
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [author.email]
    assert "Le conseil de quartier a une question" in mail.outbox[0].subject

    answer = answer_post(actor=author, question=question, body="L'association, chaque semaine.")
    assert (answer.kind, answer.answers, answer.author) == (Message.Kind.ANSWER, question, author)


def test_only_the_author_answers(person, members, admissible, nothing_written):
    question = message_post(
        actor=members[1], initiative=admissible, body="Un devis ?", question=True
    )
    for who in ("chair", "voting_member", "instructor", "resident", "anonymous"):
        with nothing_written(), pytest.raises(PermissionDenied):
            answer_post(actor=person(who), question=question, body="Voici.")


def test_the_author_answers_only_a_question(members, author, admissible, nothing_written):
    discussion = message_post(actor=members[1], initiative=admissible, body="Avis favorable.")
    question = message_post(
        actor=members[1], initiative=admissible, body="Un devis ?", question=True
    )
    answer = answer_post(actor=author, question=question, body="Le voici.")
    for message in (discussion, answer):
        with nothing_written(), pytest.raises(DomainError, match="qu'à une question"):
            answer_post(actor=author, question=message, body="Encore moi.")


def test_an_empty_answer_is_refused(members, author, admissible, nothing_written):
    question = message_post(
        actor=members[1], initiative=admissible, body="Un devis ?", question=True
    )
    with nothing_written(), pytest.raises(DomainError, match="vide"):
        answer_post(actor=author, question=question, body="  ")
