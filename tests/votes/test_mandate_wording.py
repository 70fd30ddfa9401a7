"""Seat titles are written as each person asked (a field on the mandate, never guessed
from a name), and the minutes name the members present who did not vote."""

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import AuditEntry
from tests.system import SYSTEM
from votes.models import Mandate
from votes.models.council import role_label
from votes.selectors import minutes_context
from votes.services import (
    agenda_add,
    attendance_record,
    mandate_grant,
    session_open,
    vote_cast,
    vote_close,
    vote_open,
)

pytestmark = pytest.mark.django_db

Role, Wording = Mandate.Role, Mandate.Wording


@pytest.mark.parametrize(
    ("role", "wording", "french", "english"),
    [
        (Role.MEMBER, Wording.FEMININE, "Conseillère de quartier", "Neighbourhood councillor"),
        (Role.MEMBER, Wording.MASCULINE, "Conseiller de quartier", "Neighbourhood councillor"),
        (Role.MEMBER, Wording.INCLUSIVE, "Conseiller·e de quartier", "Neighbourhood councillor"),
        (Role.VICE_CHAIR, Wording.FEMININE, "Vice-présidente", "Vice-chair"),
        (Role.CITIZEN_MEMBER, Wording.MASCULINE, "Conseiller citoyen", "Citizen councillor"),
        (Role.CHAIR, Wording.FEMININE, "Maire de quartier (préside)", None),
    ],
)
def test_a_seat_title_follows_the_wording_in_both_languages(role, wording, french, english):
    with translation.override("fr"):
        assert role_label(role, wording) == french
    if english is not None:
        with translation.override("en"):
            assert role_label(role, wording) == english


def test_an_unknown_seat_has_no_title():
    assert role_label("pope", Wording.FEMININE) == ""


def test_the_administrator_chooses_the_wording_when_granting(client, council, people):
    woman = people["resident"]
    client.force_login(people["administrator"])
    url = reverse("conseils:mandate_grant", args=[council.pk])
    today = timezone.localdate().isoformat()
    form = {
        "attribuer-person": woman.email,
        "attribuer-role": Role.MEMBER,
        "attribuer-starts_on": today,
    }
    refused = client.post(url, form | {"attribuer-wording": "shouting"})
    assert refused.status_code == 200
    assert "wording" in refused.context["grant_form"].errors
    assert not Mandate.objects.filter(user=woman).exists()

    client.post(url, form | {"attribuer-wording": Wording.FEMININE})
    mandate = Mandate.objects.get(user=woman)
    assert mandate.wording == Wording.FEMININE
    assert mandate.role_label == "Conseillère de quartier"
    grant = AuditEntry.objects.get(action="votes.mandate.grant", target_id=str(mandate.pk))
    assert grant.data["wording"] == "feminine"
    page = client.get(reverse("conseils:composition", args=[council.pk])).content.decode()
    assert "Conseillère de quartier" in page


def test_the_service_refuses_an_unknown_wording(council, people):
    from accounts.errors import DomainError

    with pytest.raises(DomainError) as refused:
        mandate_grant(
            actor=SYSTEM,
            council=council,
            user=people["resident"],
            role=Role.MEMBER,
            wording="neutre",
            starts_on=timezone.localdate(),
        )
    assert refused.value.field == "wording"
    assert not Mandate.objects.filter(user=people["resident"]).exists()


def test_the_minutes_write_each_title_and_name_who_was_present_without_voting(
    session, members, chair, admissible, instructor
):
    chair_, sophie, ali, claire, hugo, _ex_officio = members
    woman = Mandate.objects.get(user=sophie)
    Mandate.objects.filter(pk=woman.pk).update(wording=Wording.FEMININE)
    item = agenda_add(actor=instructor, session=session, initiative=admissible)
    attendance_record(actor=chair, session=session, present=[chair_, sophie, ali, claire])
    session_open(actor=chair, session=session)
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="900")
    vote_cast(actor=chair_, vote=vote, choice="for")
    vote_cast(actor=ali, vote=vote, choice="against")
    vote_cast(actor=claire, vote=vote, choice="for")

    open_vote = minutes_context(session)["items"][0]["votes"][0]
    assert open_vote["abstained"] == []  # said only once the vote is closed
    vote_close(actor=chair, vote=vote)
    context = minutes_context(session)
    assert context["items"][0]["votes"][0]["abstained"] == [str(sophie)]
    labels = {mandate.user_id: mandate for mandate, _present in context["mandates"]}
    assert labels[sophie.pk].role_label == "Conseillère de quartier"
    assert labels[sophie.pk].present_label == "présente"
    assert labels[hugo.pk].absent_label == "absent·e"

    from django.template.loader import render_to_string

    with translation.override("fr"):
        minutes = render_to_string("votes/minutes.html", context)
    assert f"Présents sans prendre part au vote : {sophie}." in minutes
    assert "Conseillère de quartier" in minutes and "présente" in minutes


def test_a_secret_vote_names_who_did_not_take_part_from_the_participations(
    session, members, chair, admissible, instructor
):
    chair_, sophie, ali, claire, _hugo, _ex_officio = members
    item = agenda_add(actor=instructor, session=session, initiative=admissible)
    attendance_record(actor=chair, session=session, present=[chair_, sophie, ali, claire])
    session_open(actor=chair, session=session)
    vote = vote_open(actor=chair, item=item, mode="secret", proposed_amount="900")
    for member in (chair_, sophie, ali):
        vote_cast(actor=member, vote=vote, choice="for")
    vote_close(actor=chair, vote=vote)
    assert minutes_context(session)["items"][0]["votes"][0]["abstained"] == [str(claire)]


def test_the_demo_writes_each_councillors_title_as_asked(demo, client):
    sophie = Mandate.objects.select_related("council__quartier").get(
        user__email="conseillere@demo.fonds-quartiers.fr"
    )
    assert sophie.wording == Wording.FEMININE
    page = client.get(f"/quartiers/{sophie.council.quartier.slug}/")
    assert page.status_code == 200
    assert f"{sophie.user.display_name}</strong> — Conseillère de quartier" in page.content.decode()
    assert set(Mandate.objects.values_list("wording", flat=True)) >= {"feminine", "masculine"}
