"""Pages read as finished French: the first of the month is « 1er », a count of zero or
one takes the singular, and English reads as English."""

import datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from accounts.dates import long_date


@pytest.mark.parametrize(
    ("day", "french", "english"),
    [
        (datetime.date(2027, 1, 1), "1er janvier 2027", "1 January 2027"),
        (datetime.date(2026, 11, 29), "29 novembre 2026", "29 November 2026"),
        (datetime.date(2026, 3, 11), "11 mars 2026", "11 March 2026"),
    ],
)
def test_a_date_is_written_in_the_page_language(day, french, english):
    with translation.override("fr"):
        assert long_date(day) == french
        assert Template("{{ day|long_date }}").render(Context({"day": day})) == french
    with translation.override("en"):
        assert long_date(day) == english


def test_a_moment_is_dated_in_the_communes_time_zone():
    # 23:30 UTC on 31 December is already the first of January in Paris.
    moment = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=datetime.UTC)
    with timezone.override("Europe/Paris"), translation.override("fr"):
        assert long_date(moment) == "1er janvier 2027"
    assert long_date(None) == ""


def test_a_moment_with_its_weekday_and_hour():
    moment = datetime.datetime(2027, 1, 1, 17, 5, tzinfo=datetime.UTC)
    context = Context({"moment": moment})
    with timezone.override("Europe/Paris"):
        with translation.override("fr"):
            assert long_date(moment, weekday=True, time=True) == "vendredi 1er janvier 2027, 18:05"
            rendered = Template('{{ moment|long_date:"time" }}').render(context)
            assert rendered == "1er janvier 2027, 18:05"
        with translation.override("en"):
            assert long_date(moment, weekday=True) == "Friday 1 January 2027"
    # A day has no hour to print.
    assert long_date(datetime.date(2027, 1, 2), time=True).endswith("2027")


@pytest.mark.parametrize(
    ("count", "french", "english"),
    [
        (0, "0 soutien", "0 supports"),
        (1, "1 soutien", "1 support"),
        (2, "2 soutiens", "2 supports"),
    ],
)
def test_french_counts_take_the_singular_for_zero_and_one(count, french, english):
    template = Template(
        "{% load i18n %}{% blocktranslate count counter=n %}{{ counter }} soutien"
        "{% plural %}{{ counter }} soutiens{% endblocktranslate %}"
    )
    with translation.override("fr"):
        assert template.render(Context({"n": count})) == french
    with translation.override("en"):
        assert template.render(Context({"n": count})) == english


@pytest.mark.parametrize(
    ("count", "french"), [(0, "0 abstention"), (1, "1 abstention"), (3, "3 abstentions")]
)
def test_a_decision_counts_its_abstentions_in_french(count, french):
    # The decision page's wording, rendered through the catalogue.
    template = Template(
        "{% load i18n %}{% blocktranslate with f=tally.for a=tally.against "
        "count ab=tally.abstain %}"
        "{{ f }} pour, {{ a }} contre, {{ ab }} abstention{% plural %}{{ f }} pour, {{ a }} "
        "contre, {{ ab }} abstentions{% endblocktranslate %}"
    )
    with translation.override("fr"):
        assert template.render(Context({"tally": {"for": 2, "against": 1, "abstain": count}})) == (
            f"2 pour, 1 contre, {french}"
        )


def test_the_rule_applied_reads_in_the_page_language_and_stays_french_on_record(demo, client):
    from django.conf import settings

    from votes.models import Decision

    decision = (
        Decision.objects.exclude(published_at=None).filter(outcome=Decision.Outcome.GRANTED).first()
    )
    # The record, whoever recorded it, is the French text the minutes print.
    assert decision.rule_applied.startswith("Majorité")
    assert "rule" in decision.tally
    french = client.get(f"/decisions/{decision.reference}/").content.decode()
    assert decision.rule_applied in french
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("fr"):
        english = client.get(f"/decisions/{decision.reference}/").content.decode()
    assert decision.rule_applied not in english
    assert "majority" in english.lower() and "votes cast" in english


def test_an_adjournment_reads_in_the_page_language_with_its_reason(demo):
    from votes.models import Decision

    decision = Decision.objects.filter(outcome=Decision.Outcome.DEFERRED).first()
    assert decision.rule_applied.startswith("Ajournement décidé en séance.")
    reason = decision.rule_applied.removeprefix("Ajournement décidé en séance.")
    with translation.override("en"):
        assert decision.rule_label == "Deferral decided in session." + reason
    with translation.override("fr"):
        assert decision.rule_label == decision.rule_applied


def test_a_decision_recorded_before_its_rule_was_kept_shows_its_record(demo):
    from votes.models import Decision

    decision = Decision.objects.filter(outcome=Decision.Outcome.GRANTED).first()
    decision.tally = {key: value for key, value in decision.tally.items() if key != "rule"}
    with translation.override("en"):
        assert decision.rule_label == decision.rule_applied
