"""Checks on files residents upload: the content is read, not only the name."""

import io

import pikepdf
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, UnidentifiedImageError

from accounts.errors import DomainError

PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PHOTO_PIXELS = 40_000_000
# What a PDF may still do once stored: follow a link inside itself (GoTo) or to a web
# page or an address (URI with one of these schemes). Every other action — JavaScript,
# Launch, SubmitForm, ImportData, GoToR, GoToE, Rendition, Sound, Movie… — is removed.
KEPT_ACTIONS = {"/GoTo", "/URI"}
URI_SCHEMES = ("http://", "https://", "mailto:")
ACTION_KEYS = ("/A", "/OpenAction", "/PA")
# Keys that carry active content wherever they appear: additional actions (run when a page
# opens, a field is focused…), scripts, chained actions, embedded and related files,
# XFA forms (scripted) and portfolios.
DROPPED_KEYS = ("/AA", "/JS", "/Next", "/EF", "/RF", "/XFA", "/Collection")
DROPPED_NAME_TREES = ("/JavaScript", "/EmbeddedFiles")
DROPPED_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
DICTIONARIES = (pikepdf.Dictionary, pikepdf.Stream)
CONTAINERS = (pikepdf.Dictionary, pikepdf.Array)
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
    """The upload as a ContentFile if it is a real, readable PDF within the size limit,
    rewritten without its active content (see ``_without_active_content``)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    data = _read(upload, settings.MAX_ATTACHMENT_BYTES, _("Le fichier"))
    if not data.startswith(b"%PDF-"):
        raise DomainError(_("Seuls les fichiers PDF sont acceptés."), code="not_pdf")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise _encrypted()
        if len(reader.pages) < 1:
            raise ValueError("no page")
    except DomainError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError):
        raise _malformed() from None
    return ContentFile(_without_active_content(data), name="piece.pdf")


def _malformed():
    return DomainError(_("Ce fichier PDF est illisible ou endommagé."), code="malformed")


def _encrypted():
    return DomainError(_("Les PDF protégés par un mot de passe ne sont pas acceptés."))


def _without_active_content(data):
    """The PDF rewritten by qpdf without what a viewer could run: the actions, scripts,
    embedded files and annotations that ``KEPT_ACTIONS`` and ``DROPPED_*`` name. The
    document stays readable (pages, links, form fields without their scripts). Rewriting
    also drops every object the document no longer references, so nothing removed
    survives as a leftover a lenient viewer might still find. Streams are copied as they
    are, never decompressed: a compression bomb costs nothing here."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise _encrypted()
            for obj in [pdf.trailer, *pdf.objects]:
                _strip(obj)
            clean = io.BytesIO()
            pdf.save(clean, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    except pikepdf.PasswordError:
        raise _encrypted() from None
    except (pikepdf.PdfError, ValueError, TypeError, RuntimeError, RecursionError):
        raise _malformed() from None
    return clean.getvalue()


def _kept_action(action):
    if not isinstance(action, pikepdf.Dictionary) or "/S" not in action:
        # A destination (a page and a position), or the attributes of a structure
        # element, which share the key /A: not an action.
        return True
    kind = str(action.get("/S"))
    if kind == "/URI":
        uri = action.get("/URI")
        return isinstance(uri, pikepdf.String) and str(uri).lower().startswith(URI_SCHEMES)
    return kind in KEPT_ACTIONS


def _strip(obj):
    """Remove active content from ``obj`` and from the objects written inside it (those
    referenced indirectly are visited on their own)."""
    if isinstance(obj, pikepdf.Array):
        children = list(obj)
    elif isinstance(obj, DICTIONARIES):
        for key in DROPPED_KEYS:
            if key in obj:
                del obj[key]
        for key in ACTION_KEYS:
            if key in obj and not _kept_action(obj[key]):
                del obj[key]
        names = obj.get("/Names")
        if isinstance(names, pikepdf.Dictionary):
            for key in DROPPED_NAME_TREES:
                if key in names:
                    del names[key]
        annotations = obj.get("/Annots")
        if isinstance(annotations, pikepdf.Array):
            kept = [a for a in annotations if not _dropped_annotation(a)]
            if len(kept) != len(annotations):
                obj["/Annots"] = pikepdf.Array(kept)
        children = [obj[key] for key in obj.keys()]
    else:
        return
    for child in children:
        if isinstance(child, CONTAINERS) and not child.is_indirect:
            _strip(child)


def _dropped_annotation(annotation):
    return (
        isinstance(annotation, pikepdf.Dictionary)
        and str(annotation.get("/Subtype", "")) in DROPPED_ANNOTATIONS
    )


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
