"""Check documentation suites against the documentation they were written from.

Every page a row names must exist under the HTML folder, and every key phrase must
occur, verbatim (white-space runs as one space, case and quotes as written), inside
one block of the main content of its first page: the text (lxml's
``text_content``) of a paragraph, list item, table cell, heading, code block or
line that holds no other block, within Sphinx's ``role="main"`` element (else
``<main>``, else ``<body>``), without permalink anchors and DocBook's navigation
header and footer. The sidebar does not count, and neither does a phrase that only
exists by joining two blocks (a question and its answer on separate lines).

    python -m evals.check_docs_questions /usr/share/doc/python3.11/html \\
        evals/suites/python-docs.jsonl evals/suites/python-docs-tune.jsonl
    python -m evals.check_docs_questions /usr/share/doc/postgresql-doc-15/html \\
        evals/suites/postgresql-docs.jsonl

Prints one line per problem and a count per suite; exits 1 when any problem.
"""

import argparse
import sys
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from evals.suite import SuiteRow, load_suite
from rag.errors import RagError

# Elements whose text a reader does not take for the page's content.
_CHROME = ("headerlink", "navheader", "navfooter")
_CHROME_XPATH = " | ".join(
    f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]" for name in _CHROME
)

# HTML's block-level elements: a key must lie within one that holds no other.
_BLOCKS = (
    "address article aside blockquote body caption dd div dl dt figcaption figure footer "
    "h1 h2 h3 h4 h5 h6 header li main nav ol p pre section table tbody td tfoot th thead tr ul"
).split()


def collapse(text: str) -> str:
    """``text`` with every white-space run made one space, stripped."""
    return " ".join(text.split())


@lru_cache(maxsize=8)
def page_blocks(path: Path) -> tuple[str, ...]:
    """The text of each innermost block of the page's main content, white space collapsed."""
    import lxml.html

    root = lxml.html.fromstring(path.read_bytes())
    found = root.xpath("//*[@role='main']") or root.xpath("//main") or root.xpath("//body")
    main = found[0] if found else root
    for element in main.xpath(_CHROME_XPATH):
        element.drop_tree()  # keeps the text that follows the element
    blocks = [main, *main.iterdescendants(*_BLOCKS)]
    innermost = (b for b in blocks if next(b.iterdescendants(*_BLOCKS), None) is None)
    return tuple(collapse(block.text_content()) for block in innermost)


def problems(rows: Sequence[SuiteRow], html: Path) -> list[str]:
    """One line per page that is missing and per key that is not on its page."""
    found = []
    for row in rows:
        missing = [page for page in row.pages if not (html / page).is_file()]
        found += [f"{row.id}: page {page} not found" for page in missing]
        if row.key is None or row.pages[0] in missing:  # a key always has pages (SuiteRow)
            continue
        key = collapse(row.key)
        if not any(key in block for block in page_blocks(html / row.pages[0])):
            found.append(f"{row.id}: key {row.key!r} not on {row.pages[0]}")
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Check each suite against the HTML folder; the exit status is 1 on any problem."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", type=Path, help="the documentation's HTML folder")
    parser.add_argument("suites", type=Path, nargs="+", help="suite files (JSON lines)")
    args = parser.parse_args(argv)
    if not args.html.is_dir():
        print(f"error: {args.html} is not a folder (install the documentation package)")
        return 2
    failed = False
    for suite in args.suites:
        try:
            rows = load_suite(suite)
        except RagError as error:
            print(f"error: {error}")
            return 2
        lines = problems(rows, args.html)
        for line in lines:
            print(f"{suite}: {line}")
        keys = sum(1 for row in rows if row.key is not None)
        print(f"{suite}: {len(rows)} rows, {keys} keys, {len(lines)} problems")
        failed = failed or bool(lines)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
