"""Request bodies larger than the limit for their path are refused with a 413 page
before anything reads them.

Three places hold the limit, because a body can reach Django three ways:

* ``RequestSizeLimitMiddleware`` (first in ``MIDDLEWARE`` after the security headers)
  refuses a declared ``Content-Length`` over the limit without reading a byte; under
  WSGI Django never reads past the declared length, so nothing more can come in.
* ``RequestSizeLimitUploadHandler`` (first in ``FILE_UPLOAD_HANDLERS``) counts the bytes
  of the files of a multipart body as they are parsed and stops the parser once they
  pass the limit, whatever the header said. The middleware parses multipart bodies
  itself, before CSRF and the views read them, so an upload cut short is answered with
  the 413 page and never reaches a view half received.
* ``RequestSizeLimitASGIMiddleware`` wraps the ASGI application: Django's ASGI handler
  spools the whole body before any middleware runs, so there the limit is applied to
  the body's messages as they arrive.

Fields that are not files stay bounded by ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
"""

import io

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme

# The Wagtail admin: editors' documents (Wagtail sets no size limit of its own for
# them; images stay under WAGTAILIMAGES_MAX_UPLOAD_SIZE) may be larger than what
# residents send.
ADMIN_PREFIX = "/cms/"
OVER_LIMIT = "_body_over_limit"


def body_limit(path):
    """The largest body, in bytes, accepted for a request to ``path``."""
    if path.startswith(ADMIN_PREFIX):
        return settings.FQ_ADMIN_UPLOAD_MAX_REQUEST_BYTES
    return settings.FQ_UPLOAD_MAX_REQUEST_BYTES


def declared_length(value):
    """The Content-Length as Django reads it (anything unreadable counts as none)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def too_large_response(request, limit):
    """The 413 page, in the language the person chose (French unless they chose
    otherwise). Rendered without the site's layout: the request has not been through
    the session and authentication middleware."""
    back = request.path if url_has_allowed_host_and_scheme(request.path, None) else "/"
    with translation.override(translation.get_language_from_request(request)):
        content = render_to_string(
            "413.html",
            {"max_mb": limit // (1024 * 1024), "back": back},
        )
    response = HttpResponse(content, status=413)
    # The middleware that would add these has not run yet.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    response["X-Frame-Options"] = "DENY"
    return response


class RequestSizeLimitMiddleware:
    """Answers 413 to a body declared larger than the path's limit, and parses a
    multipart body here so that one that turns out larger is answered the same way."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = body_limit(request.path_info)
        if declared_length(request.META.get("CONTENT_LENGTH")) > limit:
            return too_large_response(request, limit)
        if request.method == "POST" and request.content_type == "multipart/form-data":
            request.FILES  # noqa: B018 - parse now, with RequestSizeLimitUploadHandler
            if getattr(request, OVER_LIMIT, False):
                return too_large_response(request, limit)
        return self.get_response(request)


class RequestSizeLimitUploadHandler(FileUploadHandler):
    """Stops reading a multipart body once its files pass the path's limit, and marks
    the request so that ``RequestSizeLimitMiddleware`` answers 413."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        path = self.request.path_info if self.request is not None else ""
        self.limit = body_limit(path)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            if self.request is not None:
                setattr(self.request, OVER_LIMIT, True)
            # Do not read the rest of the body either.
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


class RequestSizeLimitASGIMiddleware:
    """The same limit for the ASGI application, applied to the body as it arrives."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
        limit = body_limit(path)
        headers = dict(scope.get("headers", ()))
        if declared_length(headers.get(b"content-length")) > limit:
            return await self._refuse(scope, send, limit)
        state = {"received": 0, "over": False, "started": False}

        async def limited_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    # Django's handler stops reading and answers nothing; we answer.
                    state["over"] = True
                    return {"type": "http.disconnect"}
            return message

        async def tracked_send(message):
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        await self.app(scope, limited_receive, tracked_send)
        if state["over"] and not state["started"]:
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope, send, limit):
        from django.core.handlers.asgi import ASGIRequest

        response = too_large_response(ASGIRequest(scope, io.BytesIO()), limit)
        headers = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()
        ]
        headers.append((b"content-length", str(len(response.content)).encode()))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": response.content})
