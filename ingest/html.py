"""HTML pages as a reader sees them: the main content, a block per paragraph.

The page is parsed with lxml (libxml2's HTML parser: 0.6 s for python3-doc's 530
pages, against 24.5 s for BeautifulSoup's html.parser). The walk over the tree is
written here because none of the libraries measured on python3-doc gives the
blocks and heading offsets a citation needs: inscriptis renders inline text well
but separates most blocks by a single line break (a definition's term runs into
its first sentence) and lays tables out as padded grids, and it pins lxml below
6.2; trafilatura and readability choose the content by heuristics, and
trafilatura writes Markdown (backticks, fences) without heading offsets.

The walk follows the browser's rules for ordinary text: white space inside a
block collapses to one space, adjacent inline elements join without one (a
highlighted ``<span>-</span><span>m</span>`` reads ``-m``), ``<br>`` breaks the
line and ``<pre>`` keeps its text as written. Navigation is left out: the walk
starts at the page's ``role="main"`` element, else its ``<article>``s, else its
``<main>``, else ``<body>``, and skips sidebars, navigation, forms, hidden
elements and heading permalinks (Sphinx's ``¶``) wherever they are.
"""

import re

from lxml import etree

from ingest.blocks import Blocks, Extracted, collapse

_BLOCKS = frozenset(
    "address article aside blockquote body caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure header hgroup hr html legend li listing main menu ol p pre "
    "section summary table tbody td tfoot th thead tr ul xmp h1 h2 h3 h4 h5 h6".split()
)
_HEADINGS = {f"h{level}": level for level in range(1, 7)}
_PREFORMATTED = frozenset({"pre", "listing", "xmp"})
# Never shown as text, or not part of the document: page chrome and controls.
_SKIPPED_TAGS = frozenset(
    "head script style noscript template svg canvas iframe object audio video map nav footer "
    "form button input select textarea datalist".split()
)
_CHROME_ROLES = frozenset({"navigation", "search", "banner", "contentinfo", "complementary"})
# Heading permalinks (Sphinx, MkDocs: headerlink; Jupyter, VitePress, anchor.js), line
# numbers beside code, and the navigation blocks of Sphinx (its sidebars, related bar,
# footer and toctrees: lists of links to other pages, left out of .rst files too),
# DocBook and MkDocs themes.
_SKIPPED_CLASSES = frozenset(
    "headerlink anchor-link anchorjs-link header-anchor linenos sphinxsidebar related footer "
    "toctree-wrapper navheader navfooter md-sidebar md-header md-footer wy-nav-side "
    "rst-footer-buttons".split()
)
_CONTENT = ("//*[@role='main']", "//article", "//main")
_BREAK = "\x00"  # a <br> while a block's text is gathered (no decoded page holds NUL)
_LEADING_BLANK_LINES = re.compile(r"\A(?:[ \t]*\n)+")
# lxml.etree's parser, not lxml.html's: its element classes cost a third of the walk.
_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
_CELL_SEPARATOR = " | "


def extract(html: str) -> Extracted:
    """The text of ``html`` as a browser shows it, its main content only (empty when
    the page has no text)."""
    root = etree.fromstring(html.encode(), _PARSER)
    if root is None:
        return Extracted("")
    head = root.find("head")
    title = head.findtext("title") if head is not None else None
    body = root.find("body")
    for roots in (content_roots(root), [body if body is not None else root]):
        walk = _Walk()
        for element in roots:
            walk.run(element)
        if walk.blocks.text():
            break
    blocks = walk.blocks
    return Extracted(blocks.text(), blocks.headings, collapse(title or ""), blocks.code)


def content_roots(root: etree._Element) -> list[etree._Element]:
    """The page's main content: the outermost elements of the first kind of content
    container it has (``role="main"``, ``<article>``, ``<main>``); empty when it has none."""
    for path in _CONTENT:
        found = root.xpath(path)
        if found:
            chosen = set(found)
            return [e for e in found if chosen.isdisjoint(e.iterancestors())]
    return []


def _skipped(element: etree._Element) -> bool:
    get = element.get
    if element.tag in _SKIPPED_TAGS or get("hidden") is not None or get("aria-hidden") == "true":
        return True
    if get("role") in _CHROME_ROLES:
        return True
    classes = get("class")
    return bool(classes) and not _SKIPPED_CLASSES.isdisjoint(classes.split())


def _block_text(text: str) -> str:
    """A block's text with white space collapsed as CSS does; ``<br>`` breaks the line."""
    return "\n".join(collapse(line) for line in text.split(_BREAK)).strip()


def _preformatted(text: str) -> str:
    """A ``<pre>``'s text as shown: blank lines around it dropped, indentation kept."""
    return _LEADING_BLANK_LINES.sub("", text).rstrip()


class _Walk:
    """The blocks and headings under the elements given to ``run``, in document order."""

    def __init__(self) -> None:
        self.blocks = Blocks()
        self._inline: list[str] = []
        self._heading: etree._Element | None = None
        self._preformatted = 0  # depth inside <pre>

    def run(self, root: etree._Element) -> None:
        """Add the blocks of ``root`` and everything under it."""
        walker = etree.iterwalk(root, events=("start", "end"))
        passed: set[etree._Element] = set()  # skipped, or added whole (a row, a line block)
        for event, element in walker:
            if event == "end":
                if element in passed:
                    passed.discard(element)
                else:
                    self._close(element)
                self._text(element.tail if element is not root else None)
            elif element is not root and (
                _skipped(element) or self._row(element) or self._lines(element)
            ):
                passed.add(element)
                walker.skip_subtree()
            else:
                self._open(element)
                self._text(element.text)
        self._flush()

    def _text(self, text: str | None) -> None:
        if text:
            self._inline.append(text)

    def _open(self, element: etree._Element) -> None:
        tag = element.tag
        if tag == "br":
            self._inline.append("\n" if self._preformatted else _BREAK)
        elif tag in _BLOCKS and not self._preformatted:
            if self._heading is not None:
                self._inline.append(" ")  # a block inside a heading stays in the heading
            else:
                self._flush()
                if tag in _HEADINGS:
                    self._heading = element
        if tag in _PREFORMATTED:
            self._preformatted += 1

    def _close(self, element: etree._Element) -> None:
        tag = element.tag
        if tag in _PREFORMATTED:
            self._preformatted -= 1
            if not self._preformatted and self._heading is None:
                self.blocks.code_block(_preformatted("".join(self._inline)))
                self._inline = []
        elif tag in _BLOCKS and not self._preformatted:
            if element is self._heading:
                self._flush(_HEADINGS[tag])
                self._heading = None
            elif self._heading is None:
                self._flush()

    def _flush(self, level: int | None = None) -> None:
        """End the block being gathered (a heading of ``level`` when given)."""
        text = _block_text("".join(self._inline))
        self._inline = []
        if level is None:
            self.blocks.add(text)
        else:
            self.blocks.heading(text, level)

    def _row(self, element: etree._Element) -> bool:
        """Add a table row of plain cells as one line, its cells separated by `` | ``.

        Returns:
            False for anything else (a row whose cells hold lists, code or several
            paragraphs is walked block by block instead).
        """
        if element.tag != "tr" or self._preformatted or self._heading is not None:
            return False
        cells = [c for c in element if c.tag in ("td", "th") and not _skipped(c)]
        for cell in cells:
            inner = [d.tag for d in cell.iterdescendants() if d.tag in _BLOCKS]
            if len(inner) > 1 or (inner and inner[0] != "p"):
                return False
        self._flush()
        texts = (_inline_text(cell) for cell in cells)
        self.blocks.add(_CELL_SEPARATOR.join(text for text in texts if text))
        return True

    def _lines(self, element: etree._Element) -> bool:
        """Add docutils' line block (a poem, an address, a list of names) as one block of
        lines, as its page shows it and as ingest/rst.py reads the same markup.

        Returns:
            False for any other element.
        """
        if self._preformatted or "line-block" not in (element.get("class") or "").split():
            return False
        self._flush()
        lines = [e for e in element.iter("div") if "line" in (e.get("class") or "").split()]
        self.blocks.add("\n".join(_inline_text(line) for line in lines))
        return True


def _inline_text(element: etree._Element) -> str:
    """The text of an element that holds inline content only, as one line."""
    walk = _Walk()
    walk.run(element)
    return walk.blocks.text()
