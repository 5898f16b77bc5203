"""The house's import rules, read from every import statement of the tree (grimp): those
inside functions and under ``TYPE_CHECKING`` count too.

- Each layer imports only the layers below it: rag/ (the library) nothing of ours,
  ingest/ the library, ui/ both, evals/ those and the terminal helpers of the `rag`
  command (cli/console.py, for its `rag eval` sub-app), cli/ any of them.
- bench/ and harness/ (what tests and benchmarks share) import no test module.
- No module imports itself back through others: no import circle anywhere.
"""

from functools import cache

import grimp
import pytest

PACKAGES = ("rag", "ingest", "ui", "evals", "cli", "harness", "bench", "tests")
# What each package may import besides itself (a module of another package, or it).
ALLOWED = {
    "rag": set(),
    "ingest": {"rag"},
    "ui": {"rag", "ingest"},
    "evals": {"rag", "ingest", "cli.console"},
    "cli": {"rag", "ingest", "ui", "evals"},
    "harness": {"rag", "ingest", "ui", "evals", "cli"},
    "bench": {"rag", "ingest", "ui", "evals", "cli", "harness"},
}


@cache
def graph() -> grimp.ImportGraph:
    """The import graph of every package of the repository."""
    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _allowed(imported: str, allowed: set[str]) -> bool:
    return any(imported == name or imported.startswith(f"{name}.") for name in allowed)


def test_the_graph_sees_lazy_and_type_checking_imports() -> None:
    # The chain imports the answerers inside functions and under TYPE_CHECKING only.
    found = graph().find_modules_directly_imported_by("rag.chain")
    assert {"rag.answer.extractive", "rag.retrieve.hybrid", "rag.answer.citation_check"} <= found


@pytest.mark.parametrize("package", list(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(package: str) -> None:
    ours = set(PACKAGES)
    upward = sorted(
        f"{module} -> {imported}"
        for module in graph().find_children(package) | graph().find_descendants(package)
        for imported in graph().find_modules_directly_imported_by(module)
        if imported.split(".")[0] in ours - {package} and not _allowed(imported, ALLOWED[package])
    )
    assert upward == [], f"{package}/ imports what it may not: {upward}"


def test_no_import_circles() -> None:
    circles = set()
    for module in sorted(graph().modules):
        for imported in graph().find_modules_directly_imported_by(module):
            back = graph().find_shortest_chain(importer=imported, imported=module)
            if back is not None:
                circles.add(" -> ".join((module, *back)))
    assert sorted(circles) == []
