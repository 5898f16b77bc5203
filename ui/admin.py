"""The admin tab (``RAG_ADMIN=1``): upload files, list sources, remove a source."""

import shutil
from pathlib import Path

import gradio as gr

from ingest.loaders import LOADERS
from ingest.pipeline import ingest
from rag.chain import Chain
from rag.embeddings import load_embeddings
from rag.index import open_index


def sources_table(chain: Chain) -> list[list[object]]:
    """Rows of (source, chunks), sorted by name."""
    return [[source, count] for source, count in sorted(chain.index.sources().items())]


def upload(chain: Chain, files: list[str] | None, progress: gr.Progress) -> str:
    """Copy uploads into ``data_dir/uploads`` and ingest them; returns the summary."""
    if not files:
        return "Choose files first."
    folder = chain.settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    targets = []
    for file in files:
        target = folder / Path(file).name
        shutil.copyfile(file, target)
        targets.append(target)
    report = ingest(
        targets,
        chain.settings,
        open_index(chain.settings, create=True),  # asking never creates it; ingest does
        load_embeddings(chain.settings),
        on_progress=lambda done, total: progress(done / total, desc="embedding"),
    )
    skipped = "".join(f"\n- skipped {s.source}: {s.reason}" for s in report.skipped)
    return report.summary() + skipped


def build_admin_tab(chain: Chain) -> None:
    """Lay out the admin panel inside the current Blocks."""
    files = gr.File(
        label="Files to ingest", file_count="multiple", file_types=sorted(LOADERS), elem_id="upload"
    )
    ingest_button = gr.Button("Ingest", variant="primary", elem_id="ingest")
    summary = gr.Markdown(elem_id="ingest-summary")
    table = gr.Dataframe(
        headers=["source", "chunks"],
        label="Ingested sources",
        value=lambda: sources_table(chain),
        elem_id="sources-table",
    )
    with gr.Row():
        choice = gr.Dropdown(
            label="Source to remove", choices=[], elem_id="remove-choice", allow_custom_value=True
        )
        remove = gr.Button("Remove source", variant="stop", elem_id="remove")

    def refresh() -> tuple[list[list[object]], dict[str, object]]:
        rows = sources_table(chain)
        return rows, gr.update(choices=[str(row[0]) for row in rows])

    def on_ingest(paths: list[str] | None, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        return upload(chain, paths, progress)

    def on_remove(source: str | None) -> str:
        if not source:
            return "Choose a source to remove."
        removed = chain.index.delete_source(source)
        return f"Removed {removed} chunks of {source}." if removed else f"No chunks of {source}."

    ingest_button.click(on_ingest, files, summary, api_visibility="private").then(
        refresh, None, [table, choice]
    )
    remove.click(on_remove, choice, summary, api_visibility="private").then(
        refresh, None, [table, choice]
    )
