"""Uploads: a body over the limit is refused with a 413 page before anything reads it,
and a PDF is stored without what a viewer could run (scripts, launch actions,
additional actions, embedded files)."""

import asyncio
import io
import os
import re
from pathlib import Path

import pikepdf
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.asgi import ASGIHandler
from django.test import Client, RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from pikepdf import Array, Dictionary, Name, String
from PIL import Image
from wagtail.documents.models import Document
from wagtail.images.models import Image as WagtailImage
from wagtail.models import Collection

from accounts.models import AuditEntry, User
from accounts.request_limits import (
    RequestSizeLimitASGIMiddleware,
    RequestSizeLimitMiddleware,
)
from fonds.models import Attachment, ReportDocument

from .conftest import image_bytes, stored_files

pytestmark = pytest.mark.django_db

KIB = 1024
MIB = 1024 * KIB
CHUNK = 64 * KIB
SCRIPT = "app.alert('ouvert')"
SCRIPT_MARK = b"app.alert"
PROGRAM = b"cmd.exe"
ACTIVE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/GoToR",
    "/GoToE",
    "/Rendition",
}


# -- PDFs built for the tests -----------------------------------------------------------


def _pdf(build=None, pages=2):
    """A PDF of ``pages`` blank pages, changed by ``build(pdf)``, written without object
    streams or compression so that its scripts can be seen in its bytes."""
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    if build is not None:
        build(pdf)
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False)
    return buffer.getvalue()


def _open_action_script(pdf):
    pdf.Root.OpenAction = pdf.make_indirect(Dictionary(S=Name.JavaScript, JS=String(SCRIPT)))


def _launch(pdf):
    launch = Dictionary(
        S=Name.Launch,
        F=String(PROGRAM.decode()),
        Win=Dictionary(F=String(PROGRAM.decode()), P=String("/c calc")),
    )
    pdf.Root.OpenAction = launch
    pdf.pages[0].obj.Annots = Array(
        [Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=[0, 0, 100, 100], A=launch)]
    )


def _page_additional_actions(pdf):
    pdf.pages[1].obj.AA = Dictionary(
        O=Dictionary(S=Name.JavaScript, JS=String(SCRIPT)),
        C=Dictionary(S=Name.Launch, F=String(PROGRAM.decode())),
    )


def _embedded_file_and_document_script(pdf):
    program = pdf.make_stream(b"MZ" + PROGRAM, Type=Name.EmbeddedFile)
    spec = Dictionary(Type=Name.Filespec, F=String("outil.exe"), EF=Dictionary(F=program))
    script = Dictionary(S=Name.JavaScript, JS=String(SCRIPT))
    pdf.Root.Names = Dictionary(
        EmbeddedFiles=Dictionary(Names=Array([String("outil.exe"), spec])),
        JavaScript=Dictionary(Names=Array([String("debut"), script])),
    )
    pdf.pages[0].obj.Annots = Array(
        [
            Dictionary(Type=Name.Annot, Subtype=Name.FileAttachment, Rect=[0, 0, 10, 10], FS=spec),
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=[0, 0, 10, 10],
                A=Dictionary(S=Name.GoTo, D=[pdf.pages[1].obj, Name.Fit], Next=script),
            ),
        ]
    )


def _links(pdf):
    """What a harmless document does: open on its second page, link to a web page and
    to another page."""
    pdf.Root.OpenAction = Array([pdf.pages[1].obj, Name.Fit])
    pdf.pages[0].obj.Annots = Array(
        [
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=[0, 0, 100, 20],
                A=Dictionary(S=Name.URI, URI=String("https://www.example.org/devis")),
            ),
            Dictionary(
                Type=Name.Annot,
                Subtype=Name.Link,
                Rect=[0, 30, 100, 50],
                A=Dictionary(S=Name.GoTo, D=[pdf.pages[1].obj, Name.Fit]),
            ),
        ]
    )


ACTIVE_PDFS = {
    "open-action-javascript": _open_action_script,
    "launch-action": _launch,
    "page-additional-actions": _page_additional_actions,
    "embedded-file-and-document-script": _embedded_file_and_document_script,
}


def active_content(data):
    """Every way the PDF in ``data`` could run something, found by reading all of its
    objects: empty for a document that only shows pages and follows links."""
    found = set()

    def visit(obj):
        if isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            for key in obj.keys():
                if key in {"/AA", "/JS", "/EF", "/EmbeddedFiles", "/XFA"}:
                    found.add(key)
                if key == "/Names" and isinstance(obj[key], pikepdf.Dictionary):
                    found.update(k for k in obj[key].keys() if k == "/JavaScript")
                if key == "/S" and str(obj[key]) in ACTIVE_ACTIONS:
                    found.add(str(obj[key]))
                if key == "/Subtype" and str(obj[key]) == "/FileAttachment":
                    found.add("/FileAttachment")
            children = [obj[key] for key in obj.keys()]
        elif isinstance(obj, pikepdf.Array):
            children = list(obj)
        else:
            return
        for child in children:
            if isinstance(child, pikepdf.Dictionary | pikepdf.Array) and not child.is_indirect:
                visit(child)

    with pikepdf.open(io.BytesIO(data)) as pdf:
        visit(pdf.trailer)
        for obj in pdf.objects:
            visit(obj)
    return found


def page_count(data):
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def stored(file_field):
    with file_field.open("rb") as handle:
        return handle.read()


def attach(client, initiative, data, name="devis.pdf"):
    return client.post(
        f"/initiatives/{initiative.pk}/modifier/pieces/",
        {
            "action": "attach",
            "piece-label": "Devis",
            "piece-file": SimpleUploadedFile(name, data, "application/pdf"),
        },
    )


def text(response):
    return response.content.decode()


# -- PDFs with active content -----------------------------------------------------------


def test_the_test_pdfs_carry_what_they_claim():
    for build in ACTIVE_PDFS.values():
        data = _pdf(build)
        assert active_content(data)
        assert SCRIPT_MARK in data or PROGRAM in data
    assert active_content(_pdf(_links)) == set()


@pytest.mark.parametrize("case", ACTIVE_PDFS)
def test_attachment_page_stores_the_pdf_without_its_actions(case, client, draft, author):
    data = _pdf(ACTIVE_PDFS[case])
    client.force_login(author)
    response = attach(client, draft, data)
    assert response.status_code == 302
    attachment = Attachment.objects.get(initiative=draft)
    kept = stored(attachment.file)
    assert active_content(kept) == set()
    assert SCRIPT_MARK not in kept and PROGRAM not in kept
    assert page_count(kept) == 2
    assert attachment.size == len(kept)


def test_a_harmless_pdf_keeps_its_pages_and_links(client, draft, author):
    client.force_login(author)
    assert attach(client, draft, _pdf(_links, pages=3)).status_code == 302
    kept = stored(Attachment.objects.get(initiative=draft).file)
    with pikepdf.open(io.BytesIO(kept)) as pdf:
        assert len(pdf.pages) == 3
        assert isinstance(pdf.Root.OpenAction, pikepdf.Array)
        web, inside = pdf.pages[0].obj.Annots
        assert str(web.A.URI) == "https://www.example.org/devis"
        assert web.A.S == Name.URI and inside.A.S == Name.GoTo


@pytest.mark.parametrize("uri", ["file://serveur/partage/devis", "javascript:alert(1)"])
def test_links_that_do_not_lead_to_a_web_page_are_removed(uri, client, draft, author):
    def build(pdf):
        pdf.pages[0].obj.Annots = Array(
            [
                Dictionary(
                    Type=Name.Annot,
                    Subtype=Name.Link,
                    Rect=[0, 0, 10, 10],
                    A=Dictionary(S=Name.URI, URI=String(uri)),
                )
            ]
        )

    client.force_login(author)
    assert attach(client, draft, _pdf(build)).status_code == 302
    kept = stored(Attachment.objects.get(initiative=draft).file)
    assert uri.encode() not in kept
    with pikepdf.open(io.BytesIO(kept)) as pdf:
        [link] = pdf.pages[0].obj.Annots
        assert "/A" not in link


def test_bilan_receipts_are_stored_without_their_actions(client, initiative_in, author):
    granted = initiative_in("granted")
    client.force_login(author)
    response = client.post(
        f"/initiatives/{granted.pk}/bilan/",
        {
            "narrative": "Douze bacs construits.",
            "participants": "30",
            "actual_expenses": "850",
            "receipts": [
                SimpleUploadedFile("a.pdf", _pdf(_open_action_script), "application/pdf"),
                SimpleUploadedFile("b.pdf", _pdf(_launch), "application/pdf"),
            ],
            "photos": [SimpleUploadedFile("p.jpg", image_bytes(), "image/jpeg")],
        },
    )
    assert response.status_code == 302
    receipts = ReportDocument.objects.filter(
        report__initiative=granted, kind=ReportDocument.Kind.RECEIPT
    )
    assert receipts.count() == 2
    for receipt in receipts:
        assert active_content(stored(receipt.file)) == set()


def _encrypted(user_password):
    buffer = io.BytesIO()
    with pikepdf.open(io.BytesIO(_pdf(_open_action_script))) as pdf:
        pdf.save(buffer, encryption=pikepdf.Encryption(owner="proprietaire", user=user_password))
    return buffer.getvalue()


def _damaged():
    """A script-carrying PDF whose object table and objects are cut off."""
    data = _pdf(_open_action_script)
    return data[: data.index(b"endobj") + 6] + b"\n%%EOF\n"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: _encrypted("secret"),
            "Les PDF protégés par un mot de passe ne sont pas acceptés.",
        ),
        (lambda: _encrypted(""), "Les PDF protégés par un mot de passe ne sont pas acceptés."),
        (_damaged, "Ce fichier PDF est illisible ou endommagé."),
    ],
    ids=["encrypted", "encrypted-empty-user-password", "damaged"],
)
def test_encrypted_or_damaged_pdf_is_a_clear_error(make, message, client, draft, author):
    client.force_login(author)
    audit = AuditEntry.objects.count()
    response = attach(client, draft, make())
    assert response.status_code == 200
    assert message in text(response)
    assert not Attachment.objects.exists()
    assert stored_files() == []
    assert AuditEntry.objects.count() == audit


# -- bodies over the limit ----------------------------------------------------------------


class Tripwire:
    """A request body that fails the test if more than ``allowed`` bytes are read."""

    def __init__(self, allowed=0):
        self.allowed = allowed
        self.read_bytes = 0

    def read(self, size=-1):
        wanted = CHUNK if size is None or size < 0 else size
        if self.read_bytes + wanted > self.allowed:
            raise AssertionError(f"the body was read past {self.allowed} bytes")
        self.read_bytes += wanted
        return b"\0" * wanted

    def readline(self, size=-1):
        return self.read(size)


def _refused_page(response, max_mb):
    page = text(response)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")
    assert '<html lang="fr">' in page
    assert "Envoi trop volumineux" in page
    assert f"Votre envoi dépasse la taille maximale de {max_mb} Mo" in page
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    return page


def test_a_25_mb_upload_is_refused_before_it_is_read(draft, author):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author)
    body = Tripwire()
    audit = AuditEntry.objects.count()
    response = client.generic(
        "POST",
        f"/initiatives/{draft.pk}/modifier/pieces/",
        b"",
        CONTENT_TYPE=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(25 * MIB),
        **{"wsgi.input": body},
    )
    page = _refused_page(response, 12)
    assert f'href="/initiatives/{draft.pk}/modifier/pieces/"' in page
    assert body.read_bytes == 0
    assert not Attachment.objects.exists()
    assert stored_files() == []
    assert AuditEntry.objects.count() == audit


def test_a_large_body_is_refused_anywhere_even_without_a_file(client, db):
    body = Tripwire()
    response = client.generic(
        "POST",
        "/comptes/login/",
        b"",
        CONTENT_TYPE="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(13 * MIB),
        **{"wsgi.input": body},
    )
    _refused_page(response, 12)
    assert body.read_bytes == 0


def test_the_back_link_never_leads_off_site(client, db):
    response = client.generic(
        "POST",
        "/x",
        b"",
        PATH_INFO="//ailleurs.example/x",
        CONTENT_LENGTH=str(25 * MIB),
        **{"wsgi.input": Tripwire()},
    )
    page = _refused_page(response, 12)
    assert 'href="/"' in page and "ailleurs.example" not in page


def _multipart(file_bytes, name="devis.pdf"):
    return encode_multipart(
        BOUNDARY,
        {
            "action": "attach",
            "piece-label": "Devis",
            "piece-file": SimpleUploadedFile(name, file_bytes, "application/pdf"),
        },
    )


class CountingStream(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.read_bytes = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.read_bytes += len(chunk)
        return chunk


def test_a_body_longer_than_it_claims_is_cut_at_the_limit(settings, draft, author):
    """A stream that says it is small and is not — what an ASGI server or a chunked
    request hands Django — is stopped by the upload handler once the files pass the
    limit, and the view never sees a half-received form."""
    settings.FQ_UPLOAD_MAX_REQUEST_BYTES = MIB
    body = _multipart(os.urandom(3 * MIB))
    request = RequestFactory().generic(
        "POST", f"/initiatives/{draft.pk}/modifier/pieces/", body, content_type=MULTIPART_CONTENT
    )
    request.META["CONTENT_LENGTH"] = str(100 * KIB)
    request._stream = stream = CountingStream(body)

    def view(request):
        raise AssertionError("the view was reached")

    response = RequestSizeLimitMiddleware(view)(request)
    _refused_page(response, 1)
    assert stream.read_bytes <= MIB + 3 * CHUNK
    assert not Attachment.objects.exists()


def test_an_upload_within_the_limits_goes_through(client, draft, author):
    """A PDF just under the per-file limit fits under the request limit."""
    assert settings.MAX_ATTACHMENT_BYTES < settings.FQ_UPLOAD_MAX_REQUEST_BYTES
    padding = os.urandom(settings.MAX_ATTACHMENT_BYTES - 4 * KIB)

    def build(pdf):
        pdf.pages[0].obj.Resources = Dictionary(
            XObject=Dictionary(Pad=pdf.make_stream(padding, Type=Name.XObject))
        )

    data = _pdf(build)
    assert len(data) <= settings.MAX_ATTACHMENT_BYTES
    client.force_login(author)
    assert attach(client, draft, data).status_code == 302
    assert Attachment.objects.filter(initiative=draft).count() == 1


# -- the Wagtail admin ------------------------------------------------------------------


@pytest.fixture
def editor(db):
    """An administrator who edits the site (images, documents): a Wagtail superuser."""
    return User.objects.create_superuser(email="editeur@example.org", password="mot-de-passe-x")


def test_the_admin_has_its_own_limit(settings, client, draft, author, editor):
    settings.FQ_UPLOAD_MAX_REQUEST_BYTES = MIB
    settings.FQ_ADMIN_UPLOAD_MAX_REQUEST_BYTES = 3 * MIB
    document = _pdf() + b"%" + b"0" * (3 * MIB // 2) + b"\n"
    client.force_login(author)
    _refused_page(attach(client, draft, document), 1)
    client.force_login(editor)
    response = client.post(
        "/cms/documents/add/",
        {
            "title": "Règlement du fonds",
            "file": SimpleUploadedFile("reglement.pdf", document, "application/pdf"),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    assert response.status_code == 302, text(response)[:2000]
    assert Document.objects.filter(title="Règlement du fonds").exists()
    too_big = document + b"0" * (2 * MIB)
    response = client.post(
        "/cms/documents/add/",
        {
            "title": "Trop gros",
            "file": SimpleUploadedFile("gros.pdf", too_big, "application/pdf"),
            "collection": Collection.get_first_root_node().pk,
        },
    )
    _refused_page(response, 3)
    assert not Document.objects.filter(title="Trop gros").exists()


def _png(size_bytes):
    side = int((size_bytes / 3) ** 0.5) + 1
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def test_admin_images_keep_wagtails_own_limit(client, editor):
    limit = settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE
    assert limit < settings.FQ_ADMIN_UPLOAD_MAX_REQUEST_BYTES
    client.force_login(editor)
    root = Collection.get_first_root_node().pk
    small = client.post(
        "/cms/images/add/",
        {
            "title": "Square",
            "file": SimpleUploadedFile("square.png", image_bytes("PNG"), "image/png"),
            "collection": root,
        },
    )
    assert small.status_code == 302
    assert WagtailImage.objects.filter(title="Square").exists()
    large = _png(limit + 512 * KIB)
    assert limit < len(large) < settings.FQ_ADMIN_UPLOAD_MAX_REQUEST_BYTES
    response = client.post(
        "/cms/images/add/",
        {
            "title": "Trop grande",
            "file": SimpleUploadedFile("grande.png", large, "image/png"),
            "collection": root,
        },
    )
    assert response.status_code == 200
    assert "Ce fichier est trop gros" in text(response)
    assert not WagtailImage.objects.filter(title="Trop grande").exists()


# -- the ASGI entry point -----------------------------------------------------------------


def _scope(path, headers=()):
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def _serve(app, scope, chunks):
    """Run ``app`` on one request whose body is ``chunks`` (an iterator); the response
    and the number of chunks the application pulled."""
    sent, pulled = [], [0]

    async def receive():
        chunk = next(chunks, None)
        if chunk is None:
            await asyncio.sleep(3600)
        pulled[0] += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body.decode(), pulled[0]


def test_asgi_refuses_a_declared_large_body_without_reading_it():
    app = RequestSizeLimitASGIMiddleware(ASGIHandler())
    scope = _scope("/initiatives/1/modifier/pieces/", [(b"content-length", b"26214400")])
    status, page, pulled = _serve(app, scope, iter([b"\0" * CHUNK] * 400))
    assert status == 413 and "Envoi trop volumineux" in page
    assert pulled == 0


def test_asgi_stops_a_chunked_body_at_the_limit(settings):
    settings.FQ_UPLOAD_MAX_REQUEST_BYTES = MIB
    app = RequestSizeLimitASGIMiddleware(ASGIHandler())
    scope = _scope(
        "/initiatives/1/modifier/pieces/", [(b"content-type", MULTIPART_CONTENT.encode())]
    )
    status, page, pulled = _serve(app, scope, iter([b"\0" * CHUNK] * 400))
    assert status == 413 and "Envoi trop volumineux" in page
    assert pulled * CHUNK <= MIB + CHUNK


def test_asgi_passes_a_small_body_through_untouched():
    async def echo(scope, receive, send):
        message = await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": message["body"]})

    app = RequestSizeLimitASGIMiddleware(echo)
    status, body, pulled = _serve(app, _scope("/"), iter([b"bonjour"]))
    assert (status, body, pulled) == (200, "bonjour", 1)


# -- the limits agree with each other -----------------------------------------------------


def test_the_limits_agree_with_each_other_and_with_nginx():
    nginx = (Path(settings.BASE_DIR) / "deploy" / "nginx.conf").read_text()
    [value] = re.findall(r"^\s*client_max_body_size\s+(\d+)m\s*;", nginx, flags=re.M)
    nginx_bytes = int(value) * MIB
    public = settings.FQ_UPLOAD_MAX_REQUEST_BYTES
    admin = settings.FQ_ADMIN_UPLOAD_MAX_REQUEST_BYTES
    # Django, not nginx, answers for bodies a little over its limits.
    assert nginx_bytes > max(public, admin)
    # One file at its own limit, with the form around it, fits in one request.
    for per_file in (settings.MAX_ATTACHMENT_BYTES, settings.MAX_PHOTO_BYTES):
        assert per_file + settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= public
    assert settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE < admin
    assert settings.FILE_UPLOAD_HANDLERS[0] == (
        "accounts.request_limits.RequestSizeLimitUploadHandler"
    )
    middleware = settings.MIDDLEWARE
    first_reader = min(
        middleware.index(name)
        for name in middleware
        if name.endswith(("SessionMiddleware", "CsrfViewMiddleware", "FormOnceMiddleware"))
    )
    assert middleware.index("accounts.request_limits.RequestSizeLimitMiddleware") < first_reader
