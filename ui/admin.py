"""The admin tab (``RAG_ADMIN=1``): upload files, list sources, remove a source.

Only ``admin_users`` see the tab, and each handler checks its caller itself: a
handler hidden from the API page can still be called by any client that knows its
number. Files come only from the caller's own uploads (ui/uploads.py), and the
uploaded copies are removed once ingested (the index holds the text; the source
view rebuilds it from there), except PDFs, which ``/file/...`` serves as they are:
they stay in ``data_dir/uploads``, private (0600) like everything in the data folder.
"""

import contextlib
import shutil
import uuid
from pathlib import Path

import gradio as gr

from ingest.loaders import LOADERS
from ingest.pipeline import display_name, ingest
from rag.chain import Chain
from rag.embeddings import load_embeddings
from rag.index import open_index
from ui.security import Guard
from ui.uploads import Uploads

NOT_ADMIN = "Only an admin can do this: sign in as one of RAG_ADMIN_USERS."
# What /file/... serves from where it was ingested: kept after the upload.
_SERVED_AS_FILES = frozenset({".pdf"})


def sources_table(chain: Chain) -> list[list[object]]:
    """Rows of (source, chunks), sorted by name."""
    return [[source, count] for source, count in sorted(chain.index.sources().items())]


def _remove_upload(file: Path) -> None:
    """Delete an uploaded file and the folder Gradio made for it, if that is now empty."""
    file.unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty, or already gone
        file.parent.rmdir()


def upload(chain: Chain, files: list[Path], progress: gr.Progress) -> str:
    """Copy uploaded ``files`` into ``data_dir/uploads``, ingest them and delete the
    uploads; returns the summary. A PDF of the same name ingested before is put back
    when the new one is skipped: ``/file/...`` still serves what the index holds."""
    if not files:
        return "Choose files first."
    folder = chain.settings.data_dir / "uploads"
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
            chain.settings,
            open_index(chain.settings, create=True),  # asking never creates it; ingest does
            load_embeddings(chain.settings),
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


def build_admin_tab(chain: Chain, guard: Guard, uploads: Uploads) -> gr.Tab:
    """Lay out the admin tab inside the current Blocks, hidden until an admin loads the page;
    returns the tab (the page's load event shows it to admins)."""
    with gr.Tab("Admin", visible=False, elem_id="admin-tab") as tab:
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
        user = request.username
        if not guard.is_admin(user):
            raise gr.Error(NOT_ADMIN)
        assert user is not None
        return user

    def refresh(request: gr.Request) -> tuple[list[list[object]], dict[str, object]]:
        admin(request)
        rows = sources_table(chain)
        return rows, gr.update(choices=[str(row[0]) for row in rows])

    def on_ingest(
        paths: list[str] | None,
        request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008
    ) -> str:
        claimed = uploads.claim(admin(request), paths or [])
        if claimed is None:
            raise gr.Error("A file can only be one you have just uploaded: upload it again.")
        return upload(chain, claimed, progress)

    def on_remove(source: str | None, request: gr.Request) -> str:
        admin(request)
        if not source:
            return "Choose a source to remove."
        removed = chain.index.delete_source(source)
        return f"Removed {removed} chunks of {source}." if removed else f"No chunks of {source}."

    # One ingest at a time: two admins' files of the same name go in one after the other.
    ingest_button.click(
        on_ingest, files, summary, api_visibility="private", concurrency_limit=1
    ).then(refresh, None, [table, choice], api_visibility="private")
    remove.click(on_remove, choice, summary, api_visibility="private").then(
        refresh, None, [table, choice], api_visibility="private"
    )
    tab.select(refresh, None, [table, choice], api_visibility="private")
    return tab
