"""The cached index of an eval corpus (evals/corpus.py)."""

import shutil
from pathlib import Path

from evals.corpus import corpus_key
from rag.settings import Settings


def test_a_copy_of_the_corpus_elsewhere_gets_its_own_index(tmp_path: Path) -> None:
    # The index records the files' paths, and the evals read those files (citation
    # validity): a copy in another checkout must not reuse an index whose paths
    # point into a folder that may be gone.
    first = tmp_path / "a" / "seeds"
    first.mkdir(parents=True)
    (first / "doc.txt").write_text("Lisbon has trams.\n")
    second = Path(shutil.copytree(first, tmp_path / "b" / "seeds"))
    settings = Settings(data_dir=tmp_path / "data")
    assert corpus_key(first, settings) != corpus_key(second, settings)
    before = corpus_key(first, settings)
    assert corpus_key(first, settings) == before
    (first / "doc.txt").write_text("Porto has trams.\n")  # the bytes still count
    assert corpus_key(first, settings) != before
