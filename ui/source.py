"""The source view: ``/source/{id}`` shows an ingested file's text at the quote,
``/file/{id}`` serves an ingested PDF, and links to both.

A file is named by its opaque id (``rag.schema.source_id``: the id of its record
in the index's manifest), never by a path: the path served comes from the
manifest, so no request can name a file that was not ingested.

Who may open them: exactly who may ask (``/api/ask``'s credentials) and read the
file's collection (ui.access), or whoever follows a link the server made for someone
who could. A browser following a link sends no ``Authorization`` header, so each link
carries a token, signed by the server, good for that one file for an hour
(``SOURCE_LINK_SECONDS``) and naming the caller it was made for: the UI signs the
links of its source cards, the widget asks ``/api/source-link`` for one with its own
credentials when a citation is opened. The access rules are applied again each time a
link is used, to the request's own caller if it has credentials, else to the link's:
a link made before a rule changed opens only what its caller may read now.
"""

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import BaseModel, Field, StrictInt, model_validator

from ingest.pipeline import file_digest
from rag.catalog import Collections
from rag.retrieve.index import ChunkIndex, FileRecord
from rag.retrieve.source_text import source_text
from rag.settings import Settings
from ui.access import Access, Caller
from ui.api import CollectionName, refuse_other_methods
from ui.links import SourceLinks
from ui.security import Guard
from ui.source_page import part, source_page

_FILE_ID = re.compile(r"[0-9a-f]{32}")
# The page runs no script: document text is escaped, and this makes sure of it.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Referrer-Policy": "no-referrer",  # the link's token stays out of other sites' logs
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
Offset = Annotated[int | None, Query(ge=0, description="the cited span's first character")]


class SourceLinkRequest(BaseModel):
    """A cited span of an ingested file."""

    source_id: str = Field(max_length=64)
    start: StrictInt = Field(ge=0)
    end: StrictInt = Field(ge=0)
    collection: CollectionName = Field(None, max_length=64)

    @model_validator(mode="after")
    def _ordered(self) -> "SourceLinkRequest":
        if self.start > self.end:
            raise ValueError("start must not be after end")
        return self


class SourceLink(BaseModel):
    """A link to the source view, relative to the server's root."""

    url: str


def source_caller(
    guard: Guard, request: Request, collection: str, file_id: str, token: str | None
) -> Caller:
    """Who asks for a source view or file: with a valid source token for exactly that
    file, the request's own caller if it has credentials, else the caller the link
    was signed for (a browser following a link sends no Authorization); without one,
    what ``/api/ask`` needs. The rules are applied to that caller afterwards."""
    signer = guard.tokens.source_signer(token, collection, file_id) if token else None
    if signer is not None:
        key = f"source:{guard.identity.address(request)}"
        live = guard.identity.identify(request)
        if live.kind != "anonymous":
            return Caller(live.kind, live.name, live.groups, key)
        return Caller(signer.kind, signer.name, key=key)
    try:
        return guard.identity.authenticate(request)
    except HTTPException as error:
        if token and error.status_code == 401:
            message = "this source link has expired or is for another file: ask again"
            raise HTTPException(401, message) from None
        raise


def build_source_routes(catalog: Collections, guard: Guard, access: Access) -> APIRouter:
    """The source view, the original-file route and ``/api/source-link`` over ``catalog``,
    for callers the ``access`` rules let read the file's collection."""
    router = APIRouter()
    default = catalog.settings.collection

    def opened(
        request: Request, file_id: str, collection: str | None, token: str | None, route: str
    ) -> tuple[ChunkIndex, FileRecord, SourceLinks]:
        """The index holding ``file_id`` and its record, once the request may see it."""
        name = collection or default
        if not _FILE_ID.fullmatch(file_id):
            raise HTTPException(404, "no ingested file has this id")
        caller = source_caller(guard, request, name, file_id, token)
        guard.limits.count(caller.key)
        # Refused: a 403 for the default collection, else a missing collection's 404.
        access.require(caller, collection, route)
        index = catalog.get(name).index  # an unknown collection: NotFound, a JSON 404
        record = index.file_record(file_id)
        if record is None:
            raise HTTPException(404, "no ingested file has this id")
        return index, record, SourceLinks(guard, default, name, caller)

    @router.get("/source/{source_id}", response_class=HTMLResponse, tags=["sources"])
    def source_view(
        request: Request,
        source_id: str,
        start: Offset = None,
        end: Offset = None,
        collection: CollectionName = None,
        token: str | None = None,
    ) -> HTMLResponse:
        """An ingested file's extracted text, the span ``start``-``end`` marked and
        scrolled into view (link to it with ``#quote``)."""
        index, record, links = opened(request, source_id, collection, token, "/source")
        with guard.limits.held():  # reading and rendering a long file costs as much as an answer
            found = source_text(index, record)
            span = _span(start, end, len(found.text))
            location = found.location(span[0]) if span else None
            original = links.original(source_id, location.page if location else None, prefix="../")
            shown = part(span, len(found.text))
            around = [  # the parts before and after, each opened at its edge
                links.view(source_id, at, at, prefix="../") if 0 < at < len(found.text) else None
                for at in shown
            ]
            where = location.describe() if location else ""
            page = source_page(found, span, where, original, shown, (around[0], around[1]))
            return HTMLResponse(page, headers=_PAGE_HEADERS)

    @router.get("/file/{source_id}", tags=["sources"], response_class=FileResponse)
    def original_file(
        request: Request,
        source_id: str,
        collection: CollectionName = None,
        token: str | None = None,
    ) -> FileResponse:
        """An ingested PDF as it is on disk (open it at a page with ``#page=N``)."""
        _, record, _ = opened(request, source_id, collection, token, "/file")
        return _pdf(record, catalog.settings)

    @router.post("/api/source-link", response_model=SourceLink, tags=["sources"])
    def source_link(body: SourceLinkRequest, request: Request) -> SourceLink:
        """A link (relative to the server's root) that opens the source view at the span,
        for a client that may ask but cannot send its credentials with a link (the widget)."""
        index, record, links = opened(
            request, body.source_id, body.collection, None, "/api/source-link"
        )
        with guard.limits.held():  # the text is put together from the file's chunks
            _span(body.start, body.end, len(source_text(index, record).text))  # 422 past its end
        return SourceLink(url=links.view(body.source_id, body.start, body.end))

    refuse_other_methods(
        router,
        {"/source/{source_id}": "GET", "/file/{source_id}": "GET", "/api/source-link": "POST"},
    )
    return router


def _span(start: int | None, end: int | None, length: int) -> tuple[int, int] | None:
    if start is None and end is None:
        return None
    if start is None or end is None or not start <= end <= length:
        raise HTTPException(
            422, f"start and end must give a span of the text: 0 <= start <= end <= {length}"
        )
    return start, end


def _pdf(record: FileRecord, settings: Settings) -> FileResponse:
    """The PDF of ``record``, if the file at its path is still the one ingested."""
    path = Path(record.path)
    if path.suffix.lower() != ".pdf":
        raise HTTPException(404, "only PDF files are served; the source view shows the others")
    # A link (or a linked folder) could point anywhere: only the regular file ingested.
    if path.resolve() != path or not path.is_file():
        raise HTTPException(404, "the file is no longer a regular file where it was ingested from")
    with path.open("rb") as file:
        is_pdf = file.read(5) == b"%PDF-"
    if not is_pdf or file_digest(path, record.source, settings) != record.digest:
        raise HTTPException(
            409, "the file changed since it was ingested: ingest it again (`rag ingest`)"
        )
    return FileResponse(
        path,
        media_type="application/pdf",
        content_disposition_type="inline",
        filename=path.name,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )
