"""Re-ranking the first passages by their best sentence (rag/retrieve/rerank.py)."""

from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.retrieve.rerank import blend, rerank_order
from rag.settings import Settings


def test_blend_by_hand() -> None:
    # Retrieval 4, 2, 0 normalise to 1, 0.5, 0; at weight 0.5 with best sentences
    # 0.2, 0.9, 0.5: 0.6, 0.7, 0.25. The second passage moves up.
    assert [round(x, 3) for x in blend([4.0, 2.0, 0.0], [0.2, 0.9, 0.5], 0.5)] == [0.6, 0.7, 0.25]
    assert rerank_order([4.0, 2.0, 0.0], [0.2, 0.9, 0.5], 0.5) == [1, 0, 2]
    # Weight 1 keeps the retrieval order; equal retrieval scores all count 1.
    assert rerank_order([4.0, 2.0, 0.0], [0.2, 0.9, 0.5], 1.0) == [0, 1, 2]
    assert rerank_order([3.0, 3.0], [0.1, 0.4], 0.9) == [1, 0]
    # Ties keep the retrieval order.
    assert rerank_order([1.0, 1.0], [0.5, 0.5], 0.5) == [0, 1]


DOCS = {
    "tower-visits.txt": "Visiting the Eiffel Tower\n\nThe Eiffel Tower in Paris welcomes millions "
    "of visitors every year. Visitors to the Eiffel Tower can climb the stairs of the Eiffel "
    "Tower or take the lifts of the Eiffel Tower to the top. Tickets for the Eiffel Tower are "
    "sold online and at the Eiffel Tower itself. The Eiffel Tower is lit every evening, and the "
    "Eiffel Tower sparkles for five minutes every hour.\n",
    "paris-history.txt": "A short history of Paris\n\nParis grew from a Roman town on the Seine. "
    "The city walls were rebuilt many times during the Middle Ages. Baron Haussmann redrew its "
    "streets in the nineteenth century. Gustave Eiffel's iron tower was completed in 1889 for "
    "the World's Fair. The metro opened in 1900.\n",
    "bread.txt": "Baking bread\n\nBread needs flour, water, salt and yeast. The dough rises for "
    "an hour before it is shaped. A hot oven gives the loaf a dark crust.\n",
    "trains.txt": "Night trains\n\nNight trains link Paris with Vienna and Berlin. Sleeping cars "
    "were completed for the new routes last year. Tickets are sold a few months ahead.\n",
}


@pytest.mark.slow
def test_the_passage_whose_sentence_answers_moves_to_the_top(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text)
    settings = Settings(data_dir=tmp_path / "data", rerank_weight=0.2)
    chain = Chain(settings)
    ingest([folder], settings, chain.index, load_embeddings(settings))
    question = "When was the Eiffel Tower completed?"

    def first(depth: int) -> str:
        ranked = Chain(settings.model_copy(update={"rerank_depth": depth})).ranked(question, 4)
        return Path(ranked[0].chunk.path).name

    # Retrieval alone prefers the page that repeats "Eiffel Tower"; its best
    # sentence does not say when it was completed, the history's does.
    assert first(0) == "tower-visits.txt"
    assert first(5) == "paris-history.txt"
