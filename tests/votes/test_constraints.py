"""The rules of councils and rights that PostgreSQL holds itself, tried with raw SQL:
one council per quartier, one vote per agenda item, a staff role's period in order and
one assignment in force per person, role and scope."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import RoleAssignment
from accounts.roles import Role
from votes.models import Council
from votes.services import agenda_add, attendance_record, session_open, vote_open

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _refused(sql, params, constraint):
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    assert error.value.__cause__.diag.constraint_name == constraint


def test_a_second_council_for_a_quartier_is_refused(council):
    _refused(
        "INSERT INTO votes_council (quartier_id, kind, name, quorum_rule, majority_rule,"
        " chair_casting_vote) VALUES (%s, 'conseil_citoyen', 'Autre', 'none', 'votes_cast',"
        " false)",
        [council.quartier_id],
        "council_one_per_quartier",
    )
    assert Council.objects.filter(quartier=council.quartier_id).count() == 1


def test_a_second_vote_on_an_item_is_refused(session, chair, members, admissible, instructor):
    item = agenda_add(actor=instructor, session=session, initiative=admissible)
    attendance_record(actor=chair, session=session, present=members[:4])
    session_open(actor=chair, session=session)
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="500")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE votes_vote SET status = 'closed' WHERE id = %s", [vote.pk])
    _refused(
        "INSERT INTO votes_vote (item_id, mode, proposed_amount, status, opened_at)"
        " VALUES (%s, 'secret', 500, 'open', now())",
        [item.pk],
        "vote_once_per_item",
    )


def test_a_staff_role_ends_after_it_starts_and_is_held_once(people, quartier):
    instructor = people["instructor"]
    assignment = RoleAssignment.objects.in_force().get(user=instructor, role=Role.INSTRUCTOR)
    _refused(
        "UPDATE accounts_roleassignment SET ends_on = starts_on - 1 WHERE id = %s",
        [assignment.pk],
        "role_assignment_period_order",
    )
    _refused(
        "INSERT INTO accounts_roleassignment (user_id, role, quartier_id, starts_on,"
        " revoked_reason, granted_at) VALUES (%s, 'instructor', %s, %s, '', now())",
        [instructor.pk, quartier.pk, datetime.date.today()],
        "role_assignment_unique",
    )
    _refused(
        "INSERT INTO accounts_roleassignment (user_id, role, quartier_id, starts_on,"
        " revoked_reason, granted_at) VALUES (%s, 'administrator', NULL, %s, '', now()),"
        " (%s, 'administrator', NULL, %s, '', now())",
        [instructor.pk, datetime.date.today(), instructor.pk, datetime.date.today()],
        "role_assignment_unique_commune_wide",
    )
