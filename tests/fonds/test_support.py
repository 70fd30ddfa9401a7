"""Supporting an initiative: once per person, never one's own, only a public dossier —
and the database holds the "once" when two requests race."""

import threading

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry
from fonds.models import Initiative, Support
from fonds.services import initiative_support, initiative_withdraw

from .conftest import written_state

Status = Initiative.Status


@pytest.fixture
def resident(people):
    return people["resident"]


@pytest.mark.django_db
def test_support_is_recorded_and_audited(submitted, resident):
    support = initiative_support(actor=resident, initiative=submitted)
    assert (support.initiative, support.user) == (submitted, resident)
    entry = AuditEntry.objects.get(action="fonds.initiative.support")
    assert (entry.actor, entry.target_id) == (resident, str(submitted.pk))


@pytest.mark.django_db
def test_one_support_per_person(submitted, resident, people):
    initiative_support(actor=resident, initiative=submitted)
    before = written_state(submitted)
    with pytest.raises(DomainError) as refused:
        initiative_support(actor=resident, initiative=submitted)
    assert refused.value.code == "duplicate"
    assert refused.value.message == "Vous soutenez déjà cette initiative."
    assert written_state(submitted) == before
    # Someone else still may.
    initiative_support(actor=people["council_member"], initiative=submitted)
    assert Support.objects.filter(initiative=submitted).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["author", "anonymous"])
def test_not_ones_own_dossier_nor_anonymously(who, submitted, people):
    actor = AnonymousUser() if who == "anonymous" else people[who]
    before = written_state(submitted)
    with pytest.raises(PermissionDenied):
        initiative_support(actor=actor, initiative=submitted)
    assert written_state(submitted) == before


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.DRAFT, Status.INADMISSIBLE, Status.WITHDRAWN])
def test_not_on_a_dossier_that_is_not_public(status, initiative_in, resident):
    initiative = initiative_in(status)
    before = written_state(initiative)
    with pytest.raises(DomainError) as refused:
        initiative_support(actor=resident, initiative=initiative)
    assert refused.value.code == "illegal_transition"
    assert written_state(initiative) == before


@pytest.mark.django_db
def test_the_current_status_counts_not_the_callers_copy(submitted, author, resident):
    """The page showed a public dossier; its author withdrew it before the click."""
    stale = Initiative.objects.get(pk=submitted.pk)
    initiative_withdraw(actor=author, initiative=submitted)
    before = written_state(submitted)
    with pytest.raises(DomainError) as refused:
        initiative_support(actor=resident, initiative=stale)
    assert refused.value.code == "illegal_transition"
    assert written_state(submitted) == before


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_unique_constraint_is_reported_as_a_duplicate(submitted, resident, monkeypatch):
    """Should the check in Python miss a support (it cannot see a concurrent one that
    is not committed yet), the database constraint refuses it, by name."""
    initiative_support(actor=resident, initiative=submitted)
    blind = Support.objects.none()
    monkeypatch.setattr(Support.objects, "filter", lambda *args, **kwargs: blind)
    with pytest.raises(DomainError) as refused:
        initiative_support(actor=resident, initiative=submitted)
    assert refused.value.code == "duplicate"
    monkeypatch.undo()
    assert Support.objects.filter(initiative=submitted).count() == 1
    assert AuditEntry.objects.filter(action="fonds.initiative.support").count() == 1


def _race(initiative, actors):
    """Each actor supports ``initiative`` from its own thread and connection, all
    starting together; returns what each call returned or raised."""
    start = threading.Barrier(len(actors))
    outcomes = [None] * len(actors)

    def run(index, actor):
        try:
            start.wait(timeout=10)
            outcomes[index] = initiative_support(actor=actor, initiative=initiative)
        except Exception as error:  # noqa: BLE001 - reported to the test thread
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    return outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_supports(submitted, people):
    """Real transactions, one connection per thread (one test, since emptying the
    database after each transactional test is what costs)."""
    resident = people["resident"]
    # One person, twice at the same instant: one support, one "duplicate".
    outcomes = _race(submitted, [resident, resident])
    supports = [o for o in outcomes if isinstance(o, Support)]
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(supports) == 1, outcomes
    assert len(errors) == 1, outcomes
    assert isinstance(errors[0], DomainError)
    assert errors[0].code == "duplicate"
    assert Support.objects.filter(initiative=submitted, user=resident).count() == 1
    assert AuditEntry.objects.filter(action="fonds.initiative.support").count() == 1
    # Several people at the same instant: each support counts, nobody waits forever.
    others = [people[role] for role in ("council_member", "chair", "administrator", "instructor")]
    outcomes = _race(submitted, others)
    assert all(isinstance(o, Support) for o in outcomes), outcomes
    assert Support.objects.filter(initiative=submitted).count() == 1 + len(others)
    assert AuditEntry.objects.filter(action="fonds.initiative.support").count() == 1 + len(others)


@pytest.mark.django_db
def test_a_resident_of_another_quartier_cannot_support(submitted, resident, other_quartier):
    resident.quartier = other_quartier
    resident.save(update_fields=["quartier"])
    before = written_state(submitted)
    with pytest.raises(DomainError) as refused:
        initiative_support(actor=resident, initiative=submitted)
    assert refused.value.code == "other_quartier"
    assert submitted.fund.quartier.name in refused.value.message
    assert written_state(submitted) == before


@pytest.mark.django_db
def test_a_resident_of_the_quartier_supports(submitted, resident):
    resident.quartier = submitted.fund.quartier
    resident.save(update_fields=["quartier"])
    assert initiative_support(actor=resident, initiative=submitted).user == resident


@pytest.mark.django_db
def test_no_support_once_the_council_has_decided(submitted, resident):
    Initiative.objects.filter(pk=submitted.pk).update(status=Status.GRANTED)
    submitted.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        initiative_support(actor=resident, initiative=submitted)
    assert refused.value.code == "illegal_transition"
    assert not Support.objects.exists()
