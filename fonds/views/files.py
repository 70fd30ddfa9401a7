import mimetypes

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.text import slugify

from fonds.models import Attachment, Initiative
from fonds.predicates import can_read_attachment, can_view_initiative


def _private_file_response(field_file, *, content_type, public, filename=None):
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle, content_type=content_type, as_attachment=filename is not None, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600" if public else "private, no-store"
    return response


def initiative_attachment(request, pk, attachment_pk):
    """A PDF of a dossier, for its author and the people who handle the dossier; for
    everyone who sees the dossier once the author has made the piece public. Not found
    (rather than refused) for the others, who need not learn that it exists."""
    attachment = get_object_or_404(
        Attachment.objects.select_related("initiative__fund"), pk=attachment_pk, initiative_id=pk
    )
    initiative = attachment.initiative
    if not can_read_attachment(request.user, attachment):
        raise Http404
    return _private_file_response(
        attachment.file,
        content_type="application/pdf",
        public=attachment.public and initiative.is_public,
        filename=f"{slugify(attachment.label) or 'piece'}.pdf",
    )


def initiative_photo(request, pk):
    initiative = get_object_or_404(Initiative.objects.select_related("fund"), pk=pk)
    if not initiative.photo or not can_view_initiative(request.user, initiative):
        raise Http404
    content_type = mimetypes.guess_type(initiative.photo.name)[0] or "application/octet-stream"
    return _private_file_response(
        initiative.photo, content_type=content_type, public=initiative.is_public
    )
