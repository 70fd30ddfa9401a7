from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_migrations_are_up_to_date():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_english_catalogue_is_complete():
    from pathlib import Path

    locale = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES"
    po = (locale / "django.po").read_text()
    blocks = po.split("\n\n")[1:]
    untranslated = [
        b for b in blocks if b.rstrip().endswith('msgstr ""') and "msgid_plural" not in b
    ]
    assert untranslated == [], untranslated[:3]
    assert "#, fuzzy" not in po
