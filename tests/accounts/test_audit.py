import pytest
from django.db import DatabaseError, connection, transaction

from accounts.audit import audit_record
from accounts.models import AuditEntry, User

from ..dbowner import as_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def user(db):
    return User.objects.create_user(email="a@example.org", password="x" * 12)


@pytest.mark.django_db(transaction=True)
def test_audit_refuses_to_write_outside_a_transaction(user):
    with pytest.raises(RuntimeError):
        audit_record(actor=user, action="test.outside", target=user)


def test_audit_row_rolls_back_with_its_change(user):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_record(actor=user, action="test.rollback", target=user)
        1 / 0  # noqa: B018
    assert not AuditEntry.objects.filter(action="test.rollback").exists()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE accounts_auditentry SET action = 'forged'",
        "DELETE FROM accounts_auditentry",
        "TRUNCATE accounts_auditentry CASCADE",
    ],
)
def test_postgres_refuses_to_change_the_audit_log(user, sql):
    with transaction.atomic():
        audit_record(actor=user, action="test.kept", target=user)
    with pytest.raises(DatabaseError) as raised, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)
    assert raised.value.__cause__.sqlstate == "42501"
    assert "permission denied" in str(raised.value)
    # The owner holds the rights; the table's triggers refuse it.
    with pytest.raises(DatabaseError) as raised, transaction.atomic():
        as_owner(sql, triggers=True)
    assert raised.value.__cause__.sqlstate == "42501"
    assert AuditEntry.objects.filter(action="test.kept").count() == 1
