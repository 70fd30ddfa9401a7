"""Bad input at the service boundary: each gets a clear error naming the field, and
nothing is written — no row, no audit entry, no file left behind."""

import datetime
import io
import struct
import zlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter

from accounts.errors import DomainError
from accounts.models import AuditEntry
from fonds.models import Attachment, BudgetLine, Initiative
from fonds.services import (
    initiative_attach,
    initiative_create,
    initiative_request_completion,
    initiative_set_budget,
    initiative_set_photo,
    initiative_submit,
    initiative_update,
)
from fonds.storage import private_storage

from .conftest import image_bytes, pdf_bytes, stored_files, written_state

pytestmark = pytest.mark.django_db

EXPENSE, COFUNDING = BudgetLine.Kind.EXPENSE, BudgetLine.Kind.COFUNDING
MIB = 1024 * 1024


def refused(call, target, /, **kwargs):
    """Run ``call``; it must raise DomainError and leave ``target`` as it was."""
    before = written_state(target)
    with pytest.raises(DomainError) as raised:
        call(**kwargs)
    assert written_state(target) == before
    return raised.value


# -- amounts -----------------------------------------------------------------------

BAD_AMOUNTS = [
    ("-5", "Le montant doit être supérieur à zéro."),
    ("0", "Le montant doit être supérieur à zéro."),
    ("0,00", "Le montant doit être supérieur à zéro."),
    ("-0", "Le montant doit être supérieur à zéro."),
    (Decimal("-12.50"), "Le montant doit être supérieur à zéro."),
    ("abc", "Le montant doit être un nombre."),
    ("", "Le montant doit être un nombre."),
    ("12 €", "Le montant doit être un nombre."),
    ("1.234,56", "Le montant doit être un nombre."),
    ("0x10", "Le montant doit être un nombre."),
    (None, "Le montant doit être un nombre."),
    ("NaN", "Le montant doit être un nombre."),
    ("sNaN", "Le montant doit être un nombre."),
    (Decimal("NaN"), "Le montant doit être un nombre."),
    ("Infinity", "Le montant doit être un nombre."),
    ("-inf", "Le montant doit être un nombre."),
    ("1e9", "Le montant doit être un nombre."),
    ("1000000.01", "Le montant ne peut dépasser 1\u202f000\u202f000,00\xa0€."),
    ("1 000 001", "Le montant ne peut dépasser 1\u202f000\u202f000,00\xa0€."),
    (10**30, "Le montant ne peut dépasser 1\u202f000\u202f000,00\xa0€."),
    ("12.345", "Le montant a au plus deux décimales."),
    ("0,001", "Le montant a au plus deux décimales."),
    ("1e-3", "Le montant doit être un nombre."),
]


def test_bad_amounts_in_budget_lines(draft, author):
    """All the bad amounts at once, one per line after a good one: each line gets its
    own message, and the budget stays as it was."""
    lines = [(EXPENSE, "Bois", "100")]
    lines += [(EXPENSE, f"Ligne {i}", amount) for i, (amount, _m) in enumerate(BAD_AMOUNTS)]
    error = refused(initiative_set_budget, draft, actor=author, initiative=draft, lines=lines)
    assert error.message == "Certaines lignes du budget sont à corriger."
    assert error.errors == {
        f"line-{i + 1}": [message] for i, (_amount, message) in enumerate(BAD_AMOUNTS)
    }


@pytest.mark.parametrize(
    ("amount", "message"), BAD_AMOUNTS[::4], ids=[repr(a) for a, _m in BAD_AMOUNTS[::4]]
)
def test_one_bad_amount_alone(amount, message, draft, author):
    lines = [(EXPENSE, "Bois", amount)]
    error = refused(initiative_set_budget, draft, actor=author, initiative=draft, lines=lines)
    assert error.errors == {"line-0": [message]}


def test_every_bad_line_is_named_at_once(draft, author):
    lines = [
        ("gift", "Bois", "100"),
        (EXPENSE, "", "10"),
        (EXPENSE, "Ok", "10"),
        (EXPENSE, "x", "-1"),
    ]
    error = refused(initiative_set_budget, draft, actor=author, initiative=draft, lines=lines)
    assert error.errors == {
        "line-0": ["Nature de ligne inconnue."],
        "line-1": ["Chaque ligne a un libellé de 200 caractères au plus."],
        "line-3": ["Le montant doit être supérieur à zéro."],
    }


def test_a_float_amount_is_a_programming_error(draft, author):
    """Money never passes through binary floating point: a float is a bug in the
    caller, not a user's typo."""
    before = written_state(draft)
    with pytest.raises(TypeError):
        initiative_set_budget(actor=author, initiative=draft, lines=[(EXPENSE, "Bois", 12.5)])
    assert written_state(draft) == before


def test_cofunding_above_expenses(draft, author):
    lines = [(EXPENSE, "Bois", "100"), (COFUNDING, "Mairie annexe", "100.01")]
    error = refused(initiative_set_budget, draft, actor=author, initiative=draft, lines=lines)
    assert error.message == "Les cofinancements dépassent le total des dépenses."


def test_label_too_long_and_too_many_lines(draft, author):
    error = refused(
        initiative_set_budget,
        draft,
        actor=author,
        initiative=draft,
        lines=[(EXPENSE, "x" * 201, "10")],
    )
    assert error.errors == {"line-0": ["Chaque ligne a un libellé de 200 caractères au plus."]}
    error = refused(
        initiative_set_budget,
        draft,
        actor=author,
        initiative=draft,
        lines=[(EXPENSE, f"Ligne {i}", "10") for i in range(31)],
    )
    assert error.message == "30 lignes de budget au plus."


def test_good_amounts_in_every_accepted_spelling(draft, author):
    lines = [
        (EXPENSE, "a", "1 234,56"),
        (EXPENSE, "b", "1\u00a0000"),
        (EXPENSE, "c", "1\u202f000,10"),  # as format_euros writes it
        (EXPENSE, "d", Decimal("0.01")),
        (EXPENSE, "e", 7),
        (COFUNDING, "f", " 500.5 "),
    ]
    draft = initiative_set_budget(actor=author, initiative=draft, lines=lines)
    amounts = list(draft.budget_lines.order_by("position").values_list("amount", flat=True))
    assert amounts == [
        Decimal("1234.56"),
        Decimal("1000.00"),
        Decimal("1000.10"),
        Decimal("0.01"),
        Decimal("7.00"),
        Decimal("500.50"),
    ]
    assert draft.requested_amount == Decimal("2741.17")


# -- the dossier's fields ----------------------------------------------------------

LIMITS = {
    "carrier_name": 200,
    "title": 150,
    "summary": 300,
    "description": 10_000,
    "place_name": 200,
}


@pytest.mark.parametrize(("field", "limit"), LIMITS.items())
def test_text_over_its_limit(field, limit, draft, author):
    error = refused(
        initiative_update, draft, actor=author, initiative=draft, **{field: "é" * (limit + 1)}
    )
    assert error.errors == {field: [f"{limit} caractères au plus."]}
    updated = initiative_update(actor=author, initiative=draft, **{field: "é" * limit})
    assert getattr(updated, field) == "é" * limit


def test_text_over_its_limit_creates_nothing(fund, author):
    before = (Initiative.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as raised:
        initiative_create(actor=author, fund=fund, carrier_name="x" * 201, title=" ")
    assert raised.value.errors == {
        "carrier_name": ["200 caractères au plus."],
        "title": ["Ce champ est obligatoire."],
    }
    assert (Initiative.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.parametrize("field", ["carrier_name", "title"])
def test_required_text_cannot_be_blanked(field, draft, author):
    error = refused(initiative_update, draft, actor=author, initiative=draft, **{field: "   "})
    assert error.errors == {field: ["Ce champ est obligatoire."]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", "Un jardin\npartagé"),
        ("title", "Un jardin\rpartagé"),
        ("carrier_name", "Les Jardiniers\x00"),
        ("summary", "Bacs\x1b[31m potagers"),
        ("place_name", "Square\u0085Bellevue"),
        ("description", "Des bacs\x00 potagers"),
    ],
    ids=["newline", "carriage-return", "nul", "escape", "next-line", "nul-in-description"],
)
def test_control_characters_in_text(field, value, draft, author):
    """A NUL cannot be stored by PostgreSQL, and a line break in a title would break
    the subject of the author's email: both are refused, with the field named."""
    error = refused(initiative_update, draft, actor=author, initiative=draft, **{field: value})
    assert list(error.errors) == [field]


def test_control_characters_in_a_budget_label(draft, author):
    lines = [(EXPENSE, "Bois\x00", "100"), (EXPENSE, "Vis\net clous", "10")]
    error = refused(initiative_set_budget, draft, actor=author, initiative=draft, lines=lines)
    assert set(error.errors) == {"line-0", "line-1"}


def test_control_characters_in_an_attachment_label(draft, author, pdf_upload):
    error = refused(
        initiative_attach,
        draft,
        actor=author,
        initiative=draft,
        upload=pdf_upload(),
        label="Devis\r\nBcc: x@example.org",
    )
    assert list(error.errors) == ["label"]
    assert stored_files() == []


def test_control_characters_in_a_reason(submitted, instructor):
    error = refused(
        initiative_request_completion,
        submitted,
        actor=instructor,
        initiative=submitted,
        reason="Il manque\x00 le devis.",
    )
    assert error.errors == {"reason": ["Ce texte contient un caractère de contrôle non autorisé."]}
    result = initiative_request_completion(
        actor=instructor, initiative=submitted, reason="Il manque :\n- le devis\n- les statuts"
    )
    assert result.status == Initiative.Status.INCOMPLETE


def test_description_keeps_its_line_breaks(draft, author):
    text = "Premier paragraphe.\r\n\r\nSecond paragraphe,\tavec une tabulation."
    assert initiative_update(actor=author, initiative=draft, description=text).description == text


MARKUP = {
    "title": '<script>alert("titre")</script> & <b>gras</b>',
    "summary": "<img src=x onerror=alert(1)>",
    "description": "<a href=\"javascript:alert('x')\">lien</a>\n{{ 7*7 }} {% debug %} ${7*7}",
    "place_name": "Square « Bellevue » <!-- -->",
    "carrier_name": 'Les <i>Jardiniers</i>\' "de" Bellevue',
}


def test_html_and_script_are_stored_as_typed(
    draft, author, django_capture_on_commit_callbacks, mailoutbox
):
    """Stored unchanged (escaping is the pages' job, tested there); nothing chokes on it,
    down to the author's plain-text email."""
    draft = initiative_update(actor=author, initiative=draft, **MARKUP)
    stored = Initiative.objects.values(*MARKUP).get(pk=draft.pk)
    assert stored == MARKUP
    with django_capture_on_commit_callbacks(execute=True):
        initiative_submit(actor=author, initiative=draft)
    assert mailoutbox[0].subject == f"Votre initiative « {MARKUP['title']} » est déposée"
    assert MARKUP["title"] in mailoutbox[0].body


@pytest.mark.parametrize(
    "rna",
    [
        "W12345678",
        "W4912345678",
        "A491234567",
        "491234567",
        "W49123456X",
        "W\u0664" * 1 + "91234567",
    ],
    ids=["8-digits", "10-digits", "wrong-letter", "no-letter", "letter-in-digits", "arabic-digit"],
)
def test_invalid_rna(rna, draft, author):
    error = refused(initiative_update, draft, actor=author, initiative=draft, rna=rna)
    assert error.errors == {
        "rna": ["Un numéro RNA s'écrit W suivi de 9 chiffres, par exemple W491234567."]
    }


@pytest.mark.parametrize(
    "siret",
    ["73282932000075", "7328293200007", "732829320000744", "ABCDEFGHIJKLMN", "732-829-320-00074"],
    ids=["checksum", "13-digits", "15-digits", "letters", "dashes"],
)
def test_invalid_siret(siret, draft, author):
    error = refused(initiative_update, draft, actor=author, initiative=draft, siret=siret)
    assert error.errors == {
        "siret": ["Ce numéro SIRET n'est pas valide (14 chiffres, clé de contrôle)."]
    }


@pytest.mark.parametrize(
    ("rna", "siret"),
    [
        (" w491234567 ", "732 829 320 00074"),
        ("W491234567", "732.829.320.00074"),
        ("W491234567", "7328293200007\uff14"),  # a full-width 4, as some keyboards type it
    ],
    ids=["spaces", "dots", "full-width"],
)
def test_identifiers_are_stored_in_their_compact_form(rna, siret, draft, author):
    updated = initiative_update(actor=author, initiative=draft, rna=rna, siret=siret)
    assert Initiative.objects.values("rna", "siret").get(pk=updated.pk) == {
        "rna": "W491234567",
        "siret": "73282932000074",
    }


@pytest.mark.parametrize(
    ("coordinates", "field"),
    [
        ({"latitude": Decimal("90.000001"), "longitude": Decimal("2")}, "latitude"),
        ({"latitude": Decimal("-91"), "longitude": Decimal("2")}, "latitude"),
        ({"latitude": Decimal("47"), "longitude": Decimal("180.5")}, "longitude"),
        ({"latitude": Decimal("47"), "longitude": Decimal("-181")}, "longitude"),
        ({"latitude": Decimal("NaN"), "longitude": Decimal("2")}, "latitude"),
        ({"latitude": Decimal("47"), "longitude": Decimal("Infinity")}, "longitude"),
        ({"latitude": Decimal("47")}, "latitude"),
        ({"longitude": Decimal("2")}, "latitude"),
        ({"latitude": Decimal("47"), "longitude": None}, "latitude"),
        ({"latitude": None, "longitude": Decimal("2")}, "latitude"),
    ],
    ids=[
        "lat-high",
        "lat-low",
        "long-high",
        "long-low",
        "lat-nan",
        "long-infinite",
        "lat-only",
        "long-only",
        "long-none",
        "lat-none",
    ],
)
def test_bad_coordinates(coordinates, field, draft, author):
    error = refused(initiative_update, draft, actor=author, initiative=draft, **coordinates)
    assert field in error.errors


def test_coordinates_at_the_bounds_and_cleared(draft, author):
    updated = initiative_update(
        actor=author, initiative=draft, latitude=Decimal("-90"), longitude=Decimal("180")
    )
    assert (updated.latitude, updated.longitude) == (Decimal("-90"), Decimal("180"))
    updated = initiative_update(actor=author, initiative=draft, latitude=None, longitude=None)
    assert Initiative.objects.values("latitude", "longitude").get(pk=draft.pk) == {
        "latitude": None,
        "longitude": None,
    }


def test_end_before_start(draft, author):
    today = timezone.localdate()
    error = refused(
        initiative_update,
        draft,
        actor=author,
        initiative=draft,
        starts_on=today + datetime.timedelta(days=10),
        ends_on=today + datetime.timedelta(days=9),
    )
    assert error.errors == {"ends_on": ["La date de fin précède la date de début."]}


@pytest.mark.parametrize("participants", [-1, 100_001, 10**12], ids=["negative", "over", "huge"])
def test_participants_out_of_range(participants, draft, author):
    error = refused(
        initiative_update, draft, actor=author, initiative=draft, expected_participants=participants
    )
    assert error.errors == {"expected_participants": ["Indiquez un nombre entre 0 et 100 000."]}


def test_carrier_kind_and_theme_must_come_from_the_lists(draft, author):
    error = refused(
        initiative_update,
        draft,
        actor=author,
        initiative=draft,
        carrier_kind="company",
        theme="Jardins partagés",
    )
    assert set(error.errors) == {"carrier_kind", "theme"}


def test_unknown_field_is_a_programming_error(draft, author):
    before = written_state(draft)
    with pytest.raises(TypeError):
        initiative_update(actor=author, initiative=draft, status="admissible")
    with pytest.raises(TypeError):
        initiative_update(actor=author, initiative=draft, requested_amount=Decimal("1"))
    assert written_state(draft) == before


# -- attachments -------------------------------------------------------------------


def jpeg_bytes():
    return image_bytes("JPEG", size=(200, 150))


def encrypted_pdf(user_password):
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(pdf_bytes())))
    writer.encrypt(user_password, owner_password="proprietaire", algorithm="AES-256")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _valid_pdf_prefix(size):
    return pdf_bytes()[:size]


TOO_BIG = ("too_large", "Le fichier dépasse la taille maximale de 5 Mo.")
NOT_PDF = ("not_pdf", "Seuls les fichiers PDF sont acceptés.")
MALFORMED = ("malformed", "Ce fichier PDF est illisible ou endommagé.")
ENCRYPTED = ("invalid", "Les PDF protégés par un mot de passe ne sont pas acceptés.")

BAD_PDFS = {
    "oversized": (lambda: b"%PDF-1.4\n" + b"0" * (5 * MIB), TOO_BIG),
    "jpeg-named-pdf": (jpeg_bytes, NOT_PDF),
    "text-named-pdf": (lambda: "Devis : 300 €\n".encode() * 20, NOT_PDF),
    "html-named-pdf": (lambda: b"<html><script>alert(1)</script></html>", NOT_PDF),
    "header-then-garbage": (lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8, MALFORMED),
    "header-only": (lambda: b"%PDF-1.4\n%%EOF\n", MALFORMED),
    "truncated": (lambda: _valid_pdf_prefix(len(pdf_bytes()) // 2), MALFORMED),
    "no-page": (
        lambda: (
            b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        ),
        MALFORMED,
    ),
    "page-tree-loop": (
        lambda: (
            b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[2 0 R]/Count 1>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        ),
        MALFORMED,
    ),
    "empty": (lambda: b"", ("empty", "Le fichier est vide.")),
    "encrypted": (lambda: encrypted_pdf("secret"), ENCRYPTED),
    "encrypted-empty-user-password": (lambda: encrypted_pdf(""), ENCRYPTED),
}


@pytest.mark.parametrize("case", BAD_PDFS)
def test_bad_attachment(case, draft, author):
    make, (code, message) = BAD_PDFS[case]
    upload = SimpleUploadedFile("devis.pdf", make(), content_type="application/pdf")
    error = refused(
        initiative_attach, draft, actor=author, initiative=draft, upload=upload, label="Devis"
    )
    assert (error.code, error.message) == (code, message)
    assert not Attachment.objects.exists()
    assert stored_files() == []


def test_attachment_size_limit_is_inclusive(draft, author, settings, pdf_upload):
    data = pdf_bytes()
    settings.MAX_ATTACHMENT_BYTES = len(data)
    initiative_attach(actor=author, initiative=draft, upload=pdf_upload(data=data), label="Devis")
    settings.MAX_ATTACHMENT_BYTES = len(data) - 1
    error = refused(
        initiative_attach,
        draft,
        actor=author,
        initiative=draft,
        upload=pdf_upload(data=data),
        label="Devis 2",
    )
    assert error.code == "too_large"
    assert len(stored_files()) == 1


class _Stream(io.BytesIO):
    """An upload that does not know its size, or lies about it."""

    def __init__(self, data, size=None):
        super().__init__(data)
        self.name = "devis.pdf"
        self.size = size


@pytest.mark.parametrize("size", [None, 1000], ids=["unknown-size", "lying-size"])
def test_size_is_measured_not_trusted(size, draft, author):
    upload = _Stream(b"%PDF-1.4\n" + b"0" * (5 * MIB), size=size)
    error = refused(
        initiative_attach, draft, actor=author, initiative=draft, upload=upload, label="Devis"
    )
    assert error.code == "too_large"
    assert stored_files() == []


def test_attachment_label_too_long(draft, author, pdf_upload):
    error = refused(
        initiative_attach,
        draft,
        actor=author,
        initiative=draft,
        upload=pdf_upload(),
        label="x" * 201,
    )
    assert error.errors == {"label": ["L'intitulé compte 200 caractères au plus."]}
    assert stored_files() == []


def test_attachment_count_limit(draft, author, pdf_upload, settings):
    limit = settings.MAX_ATTACHMENTS_PER_INITIATIVE
    for number in range(limit):
        initiative_attach(
            actor=author, initiative=draft, upload=pdf_upload(), label=f"Pièce {number}"
        )
    assert len(stored_files()) == limit
    error = refused(
        initiative_attach,
        draft,
        actor=author,
        initiative=draft,
        upload=pdf_upload(),
        label="Une de trop",
    )
    assert error.message == f"{limit} pièces jointes au plus."
    assert Attachment.objects.filter(initiative=draft).count() == limit
    assert len(stored_files()) == limit


def test_a_good_attachment_is_stored_privately_under_a_neutral_name(draft, author, pdf_upload):
    data = pdf_bytes(pages=2)
    attachment = initiative_attach(
        actor=author, initiative=draft, upload=pdf_upload("../../etc/passwd.pdf", data), label=""
    )
    assert attachment.label == "Pièce jointe"
    [name] = stored_files()
    assert name.startswith(f"pieces/{timezone.now():%Y}/piece")
    assert name.endswith(".pdf")
    # Stored as rewritten without active content (fonds.uploads): the same pages.
    with private_storage().open(attachment.file.name) as stored:
        kept = stored.read()
    assert attachment.size == len(kept)
    assert len(PdfReader(io.BytesIO(kept)).pages) == len(PdfReader(io.BytesIO(data)).pages) == 2


# -- photos ------------------------------------------------------------------------


def _png_claiming(width, height):
    """A tiny PNG whose header claims ``width`` × ``height`` pixels: a decompression
    bomb as far as any decoder that trusts the header is concerned."""
    data = bytearray(image_bytes("PNG", size=(1, 1)))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def _noise_jpeg():
    buffer = io.BytesIO()
    Image.effect_noise((300, 200), 60).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


FORMAT = ("format", "La photo doit être au format JPEG, PNG ou WebP.")
UNREADABLE = ("format", "La photo doit être une image JPEG, PNG ou WebP lisible.")
PIXELS = ("too_large", "La photo a trop de pixels.")

BAD_PHOTOS = {
    "pdf-named-jpg": (pdf_bytes, UNREADABLE),
    "text-named-jpg": (lambda: b"GIF89a? not really", UNREADABLE),
    "gif": (lambda: image_bytes("GIF"), FORMAT),
    "bmp": (lambda: image_bytes("BMP"), FORMAT),
    "tiff": (lambda: image_bytes("TIFF"), FORMAT),
    "truncated-jpeg": (lambda: _noise_jpeg()[: len(_noise_jpeg()) * 2 // 3], UNREADABLE),
    "jpeg-header-only": (lambda: _noise_jpeg()[:200], UNREADABLE),
    "oversized": (
        lambda: image_bytes("JPEG") + b"\0" * (5 * MIB),
        ("too_large", "La photo dépasse la taille maximale de 5 Mo."),
    ),
    "too-many-pixels": (lambda: _png_claiming(8_000, 8_000), PIXELS),
    "decompression-bomb": (lambda: _png_claiming(30_000, 30_000), PIXELS),
    "empty": (lambda: b"", ("empty", "La photo est vide.")),
}


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("case", BAD_PHOTOS)
def test_bad_photo(case, draft, author):
    make, (code, message) = BAD_PHOTOS[case]
    upload = SimpleUploadedFile("photo.jpg", make(), content_type="image/jpeg")
    error = refused(initiative_set_photo, draft, actor=author, initiative=draft, upload=upload)
    assert (error.code, error.message) == (code, message)
    assert Initiative.objects.get(pk=draft.pk).photo.name == ""
    assert stored_files() == []


def _jpeg_with_exif(size=(40, 30), orientation=1):
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "Model X"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (47.0, 28.0, 12.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 33.0, 5.0)
    buffer = io.BytesIO()
    Image.new("RGB", size, "seagreen").save(buffer, "JPEG", exif=exif)
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as check:  # the fixture really carries GPS data
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude]
    return data


def _stored_photo(initiative):
    name = Initiative.objects.get(pk=initiative.pk).photo.name
    with private_storage().open(name) as stored:
        return name, stored.read()


def test_photo_is_stored_without_its_metadata(draft, author, photo_upload):
    initiative_set_photo(
        actor=author, initiative=draft, upload=photo_upload(data=_jpeg_with_exif())
    )
    name, data = _stored_photo(draft)
    assert name.endswith(".jpg")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info
    for marker in (b"Exif", b"PhoneMaker", b"Model X"):
        assert marker not in data


def test_photo_keeps_its_orientation_when_exif_is_dropped(draft, author, photo_upload):
    """A phone stores a portrait photo as landscape pixels plus an Orientation tag;
    dropping the tag without turning the pixels would show it on its side."""
    upload = photo_upload(data=_jpeg_with_exif(size=(40, 30), orientation=6))
    initiative_set_photo(actor=author, initiative=draft, upload=upload)
    _name, data = _stored_photo(draft)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (30, 40)
        assert dict(image.getexif()) == {}


def test_png_text_and_exif_are_dropped(draft, author, photo_upload):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "chez Mme Dupont, 3 rue des Lilas")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    buffer = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 128, 0, 128)).save(buffer, "PNG", pnginfo=info, exif=exif)
    initiative_set_photo(
        actor=author, initiative=draft, upload=photo_upload("p.png", buffer.getvalue())
    )
    name, data = _stored_photo(draft)
    assert name.endswith(".png")
    assert b"Dupont" not in data
    assert b"PhoneMaker" not in data


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_photo_formats(
    fmt, draft, author, photo_upload, django_capture_on_commit_callbacks
):
    first = initiative_set_photo(actor=author, initiative=draft, upload=photo_upload(fmt=fmt))
    [old] = stored_files()
    with django_capture_on_commit_callbacks(execute=True):
        initiative_set_photo(actor=author, initiative=first, upload=photo_upload(fmt=fmt))
    [new] = stored_files()
    assert new != old, "the replaced photo is removed after commit"


@pytest.mark.parametrize("case", ["truncated-jpeg", "jpeg-header-only"])
def test_a_cut_off_photo_is_refused_even_once_weasyprint_is_loaded(case, draft, author):
    """WeasyPrint (the minutes' PDF) sets Pillow's LOAD_TRUNCATED_IMAGES for the whole
    process; a cut-off photo must still be refused."""
    import weasyprint  # noqa: F401
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    test_bad_photo(case, draft, author)
