"""Checks on files residents upload: the content is read, not only the name."""

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, UnidentifiedImageError

from accounts.errors import DomainError

PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PHOTO_PIXELS = 40_000_000
# How to turn the pixels for each EXIF orientation (as ImageOps.exif_transpose does,
# without its rewriting of the EXIF block, which we drop and which may be malformed).
ORIENTATIONS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _read(upload, limit, what):
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise DomainError(
            _("%(what)s dépasse la taille maximale de %(max)d Mo.")
            % {"what": what, "max": limit // (1024 * 1024)},
            code="too_large",
        )
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise DomainError(
            _("%(what)s dépasse la taille maximale de %(max)d Mo.")
            % {"what": what, "max": limit // (1024 * 1024)},
            code="too_large",
        )
    if not data:
        raise DomainError(_("%(what)s est vide.") % {"what": what}, code="empty")
    return data


def checked_pdf(upload):
    """The upload as a ContentFile if it is a real, readable PDF within the size limit."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    data = _read(upload, settings.MAX_ATTACHMENT_BYTES, _("Le fichier"))
    if not data.startswith(b"%PDF-"):
        raise DomainError(_("Seuls les fichiers PDF sont acceptés."), code="not_pdf")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DomainError(_("Les PDF protégés par un mot de passe ne sont pas acceptés."))
        if len(reader.pages) < 1:
            raise ValueError("no page")
    except DomainError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise DomainError(
            _("Ce fichier PDF est illisible ou endommagé."), code="malformed"
        ) from None
    return ContentFile(data, name="piece.pdf")


def _upright(image):
    """The image turned the way its EXIF orientation says; unchanged if the EXIF block
    says nothing usable."""
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation)
    except Exception:  # an unreadable EXIF block is dropped like a readable one
        return image
    method = ORIENTATIONS.get(orientation) if isinstance(orientation, int) else None
    return image if method is None else image.transpose(method)


def _whole(data, image_format):
    """The file ends where its format says it does. Pillow alone cannot be trusted with
    this: a library loaded in the same process (WeasyPrint) sets its global
    LOAD_TRUNCATED_IMAGES, after which a cut-off file decodes with grey filling."""
    if image_format == "JPEG":
        return data.rstrip(b"\0").endswith(b"\xff\xd9")
    if image_format == "PNG":
        return b"IEND" in data[-16:]
    if image_format == "WEBP":
        return int.from_bytes(data[4:8], "little") + 8 <= len(data)
    return True


def checked_photo(upload):
    """The upload re-encoded without its metadata (location, camera) if it is a JPEG,
    PNG or WebP image within the size limits. The pixels are first turned the way the
    EXIF orientation says, since that tag goes with the rest."""
    data = _read(upload, settings.MAX_PHOTO_BYTES, _("La photo"))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            probe.verify()
        if image_format not in PHOTO_FORMATS:
            raise DomainError(_("La photo doit être au format JPEG, PNG ou WebP."), code="format")
        if not _whole(data, image_format):
            raise OSError("truncated image")
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise DomainError(_("La photo a trop de pixels."), code="too_large")
            image.load()
            image = _upright(image)
            clean = io.BytesIO()
            if image_format == "JPEG":
                image.convert("RGB").save(clean, "JPEG", quality=88)
            else:
                image.save(clean, image_format)
    except DomainError:
        raise
    except Image.DecompressionBombError:
        # Pillow refuses to open images far beyond MAX_PHOTO_PIXELS: the same answer.
        raise DomainError(_("La photo a trop de pixels."), code="too_large") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError(
            _("La photo doit être une image JPEG, PNG ou WebP lisible."), code="format"
        ) from None
    return ContentFile(clean.getvalue(), name=f"photo.{PHOTO_FORMATS[image_format]}")
