"""Checks on files residents upload: the content is read, not only the name."""

import io

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from accounts.errors import DomainError

PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PHOTO_PIXELS = 40_000_000


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


def checked_photo(upload):
    """The upload re-encoded without its metadata (location, camera) if it is a JPEG,
    PNG or WebP image within the size limits."""
    data = _read(upload, settings.MAX_PHOTO_BYTES, _("La photo"))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            probe.verify()
        if image_format not in PHOTO_FORMATS:
            raise DomainError(_("La photo doit être au format JPEG, PNG ou WebP."), code="format")
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PHOTO_PIXELS:
                raise DomainError(_("La photo a trop de pixels."), code="too_large")
            image.load()
            clean = io.BytesIO()
            if image_format == "JPEG":
                image.convert("RGB").save(clean, "JPEG", quality=88)
            else:
                image.save(clean, image_format)
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise DomainError(
            _("La photo doit être une image JPEG, PNG ou WebP lisible."), code="format"
        ) from None
    return ContentFile(clean.getvalue(), name=f"photo.{PHOTO_FORMATS[image_format]}")
