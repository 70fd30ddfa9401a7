"""A fund is decided by its quartier's council: the residents' vote exists in the model
but cannot be chosen until public votes do. The admin does not offer it, and the
service refuses it with nothing written."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.errors import DomainError
from accounts.models import AuditEntry
from fonds.models import Fund
from fonds.services import fund_create
from fonds.services.quartiers import DECISION_MODE_UNAVAILABLE
from tests.fonds.test_backoffice import logged_in
from tests.system import SYSTEM

PUBLIC_VOTE = Fund.DecisionMode.PUBLIC_VOTE


def fund_data(quartier, **overrides):
    return {
        "quartier": quartier.pk,
        "label": "Fonds 2031",
        "period_start": "2031-01-01",
        "period_end": "2031-12-31",
        "submissions_open_on": "2031-02-01",
        "submissions_close_on": "2031-10-01",
        "max_grant": "2000",
        "min_cofunding_percent": "0",
        "decision_mode": Fund.DecisionMode.COUNCIL,
        "status": Fund.Status.DRAFT,
        **overrides,
    }


def written():
    return (Fund.objects.count(), Fund.history.count(), AuditEntry.objects.count())


@pytest.fixture
def administrator(client, people):
    return logged_in(client, people["administrator"])


@pytest.mark.parametrize("page", ["add", "edit"])
def test_the_admin_form_offers_only_the_council(administrator, fund, page):
    args = [fund.pk] if page == "edit" else []
    response = administrator.get(reverse(f"fonds-initiative:{page}", args=args))
    assert response.status_code == 200
    field = response.context["form"].fields["decision_mode"]
    assert [value for value, _label in field.choices] == [Fund.DecisionMode.COUNCIL]
    html = response.content.decode()
    assert f'value="{Fund.DecisionMode.COUNCIL}"' in html
    assert f'value="{PUBLIC_VOTE}"' not in html


def test_a_forged_public_vote_on_creation_is_refused(administrator, quartier):
    before = written()
    response = administrator.post(
        reverse("fonds-initiative:add"), fund_data(quartier, decision_mode=PUBLIC_VOTE)
    )
    assert response.status_code == 200
    assert response.context["form"].errors["decision_mode"] == [DECISION_MODE_UNAVAILABLE]
    assert "pas encore possible" in response.content.decode()
    assert written() == before


def test_a_forged_public_vote_on_edition_is_refused(administrator, fund, quartier):
    before = written()
    response = administrator.post(
        reverse("fonds-initiative:edit", args=[fund.pk]),
        fund_data(quartier, label=fund.label, decision_mode=PUBLIC_VOTE),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["decision_mode"] == [DECISION_MODE_UNAVAILABLE]
    assert written() == before
    fund.refresh_from_db()
    assert fund.decision_mode == Fund.DecisionMode.COUNCIL


def test_the_council_mode_is_still_accepted(administrator, quartier):
    response = administrator.post(reverse("fonds-initiative:add"), fund_data(quartier))
    assert response.status_code == 302
    assert Fund.objects.get(label="Fonds 2031").decision_mode == Fund.DecisionMode.COUNCIL


@pytest.mark.parametrize("actor", ["administrator", "system"])
def test_the_service_refuses_a_public_vote(people, quartier, actor):
    before = written()
    with pytest.raises(DomainError) as refusal:
        fund_create(
            actor=people["administrator"] if actor == "administrator" else SYSTEM,
            quartier=quartier,
            label="Budget participatif",
            period_start=datetime.date(2031, 1, 1),
            period_end=datetime.date(2031, 12, 31),
            submissions_open_on=datetime.date(2031, 2, 1),
            submissions_close_on=datetime.date(2031, 10, 1),
            max_grant=Decimal("2000"),
            decision_mode=PUBLIC_VOTE,
        )
    assert refusal.value.field == "decision_mode"
    assert refusal.value.errors == {"decision_mode": [str(DECISION_MODE_UNAVAILABLE)]}
    assert "vote des habitants" in refusal.value.message
    assert written() == before
