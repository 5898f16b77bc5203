"""The admin tab (``RAG_ADMIN=1``): upload files into a chosen collection, list its
sources, remove a source.

Only admins (``admin_users``, members of ``admin_groups``: ui.access) see the tab,
and each handler checks its caller itself: a
handler hidden from the API page can still be called by any client that knows its
number. Files come only from the caller's own uploads (ui/uploads.py), and the
uploaded copies are removed once ingested (the index holds the text; the source
view rebuilds it from there), except PDFs, which ``/file/...`` serves as they are:
they stay in ``data_dir/uploads`` (``data_dir/uploads/<collection>`` for a collection
other than the default), private (0600) like everything in the data folder. An admin
manages every collection: the access rules decide who reads them, not who fills them.
"""

import contextlib
import shutil
import uuid
from pathlib import Path

import gradio as gr

from ingest.loaders import LOADERS
from ingest.pipeline import display_name, ingest
from rag.catalog import Collections
from rag.errors import NotFound, RagError
from rag.models.embeddings import load_embeddings
from rag.retrieve.collections import valid_name
from rag.retrieve.index import open_index
from ui.access import Access
from ui.security import Guard
from ui.uploads import Uploads

NOT_ADMIN = (
    "Only an admin can do this: sign in as one of RAG_ADMIN_USERS or a member of one of "
    "RAG_ADMIN_GROUPS."
)
# What /file/... serves from where it was ingested: kept after the upload.
_SERVED_AS_FILES = frozenset({".pdf"})


def sources_table(catalog: Collections, collection: str | None = None) -> list[list[object]]:
    """Rows of (source, chunks) of ``collection`` (None: the default), sorted by name;
    none for a collection not ingested yet."""
    try:
        sources = catalog.get(collection).index.sources()
    except NotFound:
        return []
    return [[source, count] for source, count in sorted(sources.items())]


def _remove_upload(file: Path) -> None:
    """Delete an uploaded file and the folder Gradio made for it, if that is now empty."""
    file.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty, or already gone
        file.parent.rmdir()


def upload(
    catalog: Collections, files: list[Path], progress: gr.Progress, collection: str | None = None
) -> str:
    """Copy uploaded ``files`` into the uploads folder of ``collection`` (None: the
    default; created by the ingest if new), ingest them and delete the uploads; returns
    the summary. A PDF of the same name ingested before is put back when the new one is
    skipped: ``/file/...`` still serves what the index holds."""
    if not files:
        return "Choose files first."
    name = collection or catalog.settings.collection
    settings = catalog.settings.model_copy(update={"collection": name})
    folder = settings.data_dir / "uploads"
    if name != catalog.settings.collection:  # the default's folder is the one earlier versions used
        folder = folder / name
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    targets: list[Path] = []
    earlier: dict[Path, Path] = {}  # a kept PDF of the same name, set aside meanwhile
    for file in files:
        target = folder / file.name
        if target.exists():
            earlier[target] = target.replace(folder / f".{file.name}.{uuid.uuid4().hex}")
        shutil.copyfile(file, target)
        target.chmod(0o600)
        _remove_upload(file)
        targets.append(target)
    report = None
    try:
        report = ingest(
            targets,
            settings,
            open_index(settings, create=True),  # asking never creates it; ingest does
            load_embeddings(settings),
            on_progress=lambda done, total: progress(done / total, desc="embedding"),
        )
    finally:
        skipped = {s.source for s in report.skipped} if report else set()
        for target in targets:
            ingested = report is not None and display_name(target) not in skipped
            if not ingested or target.suffix.lower() not in _SERVED_AS_FILES:
                target.unlink(missing_ok=True)
            aside = earlier.get(target)
            if aside is not None and ingested:
                aside.unlink()
            elif aside is not None:
                aside.replace(target)
    lines = "".join(f"\n- skipped {s.source}: {s.reason}" for s in report.skipped)
    return report.summary() + lines


def build_admin_tab(catalog: Collections, guard: Guard, access: Access, uploads: Uploads) -> gr.Tab:
    """Lay out the admin tab inside the current Blocks, hidden until an admin loads the page;
    returns the tab (the page's load event shows it to admins)."""
    default = catalog.settings.collection
    with gr.Tab("Admin", visible=False, elem_id="admin-tab") as tab:
        collection = gr.Dropdown(
            label="Collection (choose one, or type a new name)",
            choices=[default],
            value=default,
            allow_custom_value=True,
            elem_id="admin-collection",
        )
        files = gr.File(
            label="Files to ingest",
            file_count="multiple",
            file_types=sorted(LOADERS),
            elem_id="upload",
        )
        ingest_button = gr.Button("Ingest", variant="primary", elem_id="ingest")
        summary = gr.Markdown(elem_id="ingest-summary")
        table = gr.Dataframe(
            headers=["source", "chunks"], label="Ingested sources", elem_id="sources-table"
        )
        with gr.Row():
            choice = gr.Dropdown(
                label="Source to remove",
                choices=[],
                elem_id="remove-choice",
                allow_custom_value=True,
            )
            remove = gr.Button("Remove source", variant="stop", elem_id="remove")

    def admin(request: gr.Request) -> str:
        """The caller, if an admin; a ``gr.Error`` (and nothing done) otherwise."""
        caller = guard.identity.identify(request.request)
        if not access.is_admin(caller):
            raise gr.Error(NOT_ADMIN)
        return caller.name

    def chosen(name: str | None) -> str | None:
        """The collection named (None: the default); a ``gr.Error`` for a bad name."""
        try:
            return valid_name(name.strip()) if name and name.strip() else None
        except RagError as error:
            raise gr.Error(str(error)) from None

    def refresh(
        name: str | None, request: gr.Request
    ) -> tuple[list[list[object]], dict[str, object]]:
        admin(request)
        rows = sources_table(catalog, chosen(name))
        return rows, gr.update(choices=[str(row[0]) for row in rows])

    def collections(request: gr.Request) -> dict[str, object]:
        admin(request)
        return gr.update(choices=[c.name for c in catalog.list()])

    def on_ingest(
        paths: list[str] | None,
        name: str | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> str:
        user = admin(request)
        target = chosen(name)  # before the uploads are used up
        claimed = uploads.claim(user, paths or [])
        if claimed is None:
            raise gr.Error("A file can only be one you have just uploaded: upload it again.")
        return upload(catalog, claimed, progress, target)

    def on_remove(source: str | None, name: str | None, request: gr.Request) -> str:
        admin(request)
        if not source:
            return "Choose a source to remove."
        try:
            removed = catalog.get(chosen(name)).index.delete_source(source)
        except NotFound as error:
            raise gr.Error(str(error)) from None
        return f"Removed {removed} chunks of {source}." if removed else f"No chunks of {source}."

    listing = [table, choice]
    # One ingest at a time: two admins' files of the same name go in one after the other.
    ingest_button.click(
        on_ingest, [files, collection], summary, api_visibility="private", concurrency_limit=1
    ).then(refresh, collection, listing, api_visibility="private").then(
        collections, None, collection, api_visibility="private"
    )
    remove.click(on_remove, [choice, collection], summary, api_visibility="private").then(
        refresh, collection, listing, api_visibility="private"
    )
    tab.select(refresh, collection, listing, api_visibility="private").then(
        collections, None, collection, api_visibility="private"
    )
    collection.change(refresh, collection, listing, api_visibility="private")
    return tab
