"""The budget step: lines stay in the order they were typed, « Ajouter une ligne » keeps
what was typed and gives the new line the focus, « Retirer cette ligne » takes one out,
and Enter in a field saves (it never removes a line)."""

import re

import pytest

pytestmark = pytest.mark.django_db


def url(initiative):
    return f"/initiatives/{initiative.pk}/modifier/budget/"


def posted(rows, **extra):
    data = {"lignes-TOTAL_FORMS": str(len(rows)), "lignes-INITIAL_FORMS": "0", **extra}
    for i, (kind, label, amount) in enumerate(rows):
        data |= {f"lignes-{i}-kind": kind, f"lignes-{i}-label": label, f"lignes-{i}-amount": amount}
    return data


def shown_labels(html):
    return re.findall(r'name="lignes-\d+-label"[^>]*value="([^"]*)"', html)


ROWS = [
    ("cofunding", "Bailleur social", "100"),
    ("expense", "Bois", "800,00"),
    ("expense", "Peinture", "150"),
    ("expense", "", ""),
]


def test_lines_keep_the_order_they_were_typed_in(client, draft, author):
    client.force_login(author)
    response = client.post(url(draft), posted(ROWS))
    assert response.status_code == 302
    html = client.get(url(draft)).content.decode()
    assert shown_labels(html) == ["Bailleur social", "Bois", "Peinture"]
    assert "Ligne 1" in html and html.index("Bailleur social") < html.index("Bois")


def test_adding_a_line_keeps_what_was_typed_and_focuses_the_new_line(client, draft, author):
    client.force_login(author)
    response = client.post(url(draft), posted(ROWS, ajouter="1"))
    assert response.status_code == 302
    assert response["Location"] == f"{url(draft)}?vides=4&ligne=7"
    draft.refresh_from_db()
    assert [line.label for line in draft.budget_lines.order_by("position")] == [
        "Bailleur social",
        "Bois",
        "Peinture",
    ]
    html = client.get(response["Location"]).content.decode()
    assert html.count('class="budget-line"') == 7
    focused = re.search(r'<fieldset class="budget-line" id="ligne-7">(.*?)</fieldset>', html, re.S)
    assert "autofocus" in focused.group(1)
    assert html.count("autofocus") == 1


def test_removing_a_line_saves_the_others(client, draft, author):
    client.force_login(author)
    response = client.post(url(draft), posted(ROWS, retirer="1"))
    assert response.status_code == 302
    assert response["Location"] == url(draft)
    draft.refresh_from_db()
    assert [line.label for line in draft.budget_lines.order_by("position")] == [
        "Bailleur social",
        "Peinture",
    ]
    assert str(draft.requested_amount) == "50.00"
    html = client.get(url(draft)).content.decode()
    assert "Ligne retirée, budget enregistré." in html


def test_enter_saves_the_budget_it_does_not_remove_a_line(client, draft, author):
    """The form's first submit button is the one Enter presses."""
    client.force_login(author)
    html = client.get(url(draft)).content.decode()
    form = html[html.index('<form method="post" class="form form--wide"') :]
    first = re.search(r"<button[^>]*>", form).group(0)
    assert 'type="submit"' in first and "name=" not in first


@pytest.mark.parametrize("blanks", ["abc", "-5", "0", "999", "1e3", "\x00"])
def test_any_number_of_blank_lines_asked_for_is_bounded(client, draft, author, blanks):
    client.force_login(author)
    response = client.get(url(draft), {"vides": blanks, "ligne": blanks})
    assert response.status_code == 200
    count = response.content.decode().count('class="budget-line"')
    assert 4 <= count <= 30


def test_a_line_removed_from_a_budget_with_errors_removes_nothing(client, draft, author):
    client.force_login(author)
    rows = [("expense", "Bois", "pas un montant"), ("expense", "Peinture", "150")]
    response = client.post(url(draft), posted(rows, retirer="1"))
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.budget_lines.count() == 3
    assert "Le formulaire contient une erreur." in response.content.decode()
