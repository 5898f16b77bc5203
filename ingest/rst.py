"""reStructuredText (``.rst``, and Sphinx's ``_sources/*.rst.txt`` copies) as its page reads.

docutils parses the file into a document tree; the text is what the rendered page
shows, a block per paragraph: sections give headings with their levels, roles give
their text (``:func:`os.path.join``` reads ``os.path.join``, ``:ref:`text <label>```
reads ``text``), code and literal blocks keep their lines, admonitions keep their
label ("Note", "Warning", "See also"). Comments, targets, substitution definitions,
tables of contents and directives that only instruct the build (``.. module::``,
``.. index::``, ``.. toctree::``, ``.. highlight::``, any unknown one) are left out.

Sphinx's roles and directives are not docutils': any role docutils does not know
reads as its text, and the directives of Sphinx that carry content (code blocks,
object descriptions, version notes, "see also", glossaries) are read for their
text. No file is included, no raw markup passed through, nothing printed: docutils'
complaints about what it does not know stay out of the text and the log.
"""

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from docutils import nodes, utils
from docutils.core import publish_doctree
from docutils.languages import en
from docutils.parsers.rst import Directive, directives, roles

from ingest.blocks import Blocks, Extracted, collapse

_SETTINGS = {
    "report_level": 5,  # above every message's level: nothing is reported...
    "halt_level": 5,  # ...and nothing stops the parse
    "warning_stream": False,
    "file_insertion_enabled": False,  # ``.. include:: /etc/passwd`` reads nothing
    "raw_enabled": False,
    "syntax_highlight": "none",  # code blocks stay plain text
    "doctitle_xform": False,  # the first heading stays a section of its own
    "docinfo_xform": False,
    "_disable_config": True,  # no docutils.conf of the user's changes the text
}
# "title <target>" in a cross-reference role: the title is what the page shows.
_EXPLICIT_TITLE = re.compile(r"^(.+?)\s*(?<!\x00)<(.*?)>$", re.DOTALL)
_CELL_SEPARATOR = " | "


def _text_role(
    name: str, rawtext: str, text: str, lineno: int, inliner: Any, *args: Any, **kwargs: Any
) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    """A role docutils does not know (Sphinx's ``:func:``, ``:ref:``, a project's own)."""
    return [nodes.literal(rawtext, _role_text(text))], []


def _role_text(text: str) -> str:
    """What Sphinx shows for a cross-reference: its explicit title, else its target, with
    ``~`` (show the last dotted part) and ``!`` (no link) applied."""
    match = _EXPLICIT_TITLE.match(text)
    if match:
        return utils.unescape(match.group(1))
    text = utils.unescape(text)
    if text.startswith("!"):
        return text[1:]
    if text.startswith("~"):
        return text[1:].rsplit(".", 1)[-1]
    return text


class _AnyOptions(dict[str, Any]):
    """An option spec that accepts every option (Sphinx's ``:linenos:``, ``:noindex:``)."""

    def __missing__(self, name: str) -> Any:
        return directives.unchanged


class _SphinxDirective(Directive):
    """A Sphinx directive read for its text: any options, content parsed as usual."""

    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: ClassVar[dict[str, Any]] = _AnyOptions(name=directives.unchanged)

    def parsed_content(self) -> list[nodes.Node]:
        """The directive's content, parsed as reStructuredText."""
        holder = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, holder)
        return list(holder.children)

    def run(self) -> list[nodes.Node]:
        """The content alone (``only``, ``glossary``, ``hlist``...)."""
        return self.parsed_content()


class _Code(_SphinxDirective):
    """``code-block``, ``sourcecode``, ``doctest``...: the lines as written."""

    def run(self) -> list[nodes.Node]:
        """One literal block."""
        code = "\n".join(self.content)
        return [nodes.literal_block(code, code)]


class _Description(_SphinxDirective):
    """An object description (``.. function:: run(args)``): its signatures, then its text."""

    required_arguments = 1
    optional_arguments = 0

    def run(self) -> list[nodes.Node]:
        """A paragraph per signature, then the content."""
        lines = self.arguments[0].replace("\\\n", " ")  # a backslash continues the line
        signatures = [collapse(line) for line in lines.split("\n") if line.strip()]
        return [nodes.paragraph(s, s) for s in signatures] + self.parsed_content()


class _Version(_SphinxDirective):
    """``versionadded``, ``versionchanged``, ``deprecated``: "Changed in version 3.6: ..."."""

    required_arguments = 1
    optional_arguments = 1
    labels: ClassVar[dict[str, str]] = {
        "versionadded": "Added in version",
        "versionchanged": "Changed in version",
        "deprecated": "Deprecated since version",
        "versionremoved": "Removed in version",
        "deprecated-removed": "Deprecated since version",
    }

    def run(self) -> list[nodes.Node]:
        """The label and version, followed by the note's text in the same paragraph."""
        version = self.arguments[0].split()[0]
        label = f"{self.labels[self.name]} {version}"
        inline: list[nodes.Node] = []
        if len(self.arguments) > 1:
            inline, _ = self.state.inline_text(self.arguments[1], self.lineno)
        content = self.parsed_content()
        if inline:
            content.insert(0, nodes.paragraph("", "", *inline))
        if content and isinstance(content[0], nodes.paragraph):
            content[0].insert(0, nodes.Text(f"{label}: "))
            return content
        return [nodes.paragraph("", f"{label}."), *content]


class _SeeAlso(_SphinxDirective):
    """``seealso``: an admonition titled "See also"."""

    def run(self) -> list[nodes.Node]:
        """The titled admonition; an argument on the directive's line is its first line."""
        box = nodes.admonition("", nodes.title("", "See also"))
        if self.arguments:
            inline, _ = self.state.inline_text(self.arguments[0], self.lineno)
            box += nodes.paragraph("", "", *inline)
        box += self.parsed_content()
        return [box]


class _Dropped(_SphinxDirective):
    """A directive that makes page furniture (``.. contents::``, ``.. sectnum::``)."""

    def run(self) -> list[nodes.Node]:
        """Nothing."""
        return []


_PYTHON_OBJECTS = (
    "function class method attribute data exception decorator decoratormethod classmethod "
    "staticmethod property type"
).split()
# Without a domain: Python's, the standard domain's, and two of CPython's own docs.
_OBJECTS = [*_PYTHON_OBJECTS, *"object describe option cmdoption envvar opcode pdbcommand".split()]
_DOMAIN_OBJECTS = {
    "py": _PYTHON_OBJECTS,
    "c": "function member macro type var struct union enum enumerator".split(),
    "cpp": "class struct function member var type concept enum enum-class union".split(),
    "js": "function method class data attribute".split(),
    "std": "option cmdoption envvar describe".split(),
    "rst": "directive directive:option role".split(),
}
_DIRECTIVES: dict[str, type[Directive]] = {
    **{name: _Code for name in "code code-block sourcecode doctest testcode testoutput".split()},
    **{name: _Description for name in _OBJECTS},
    **{f"{d}:{name}": _Description for d, names in _DOMAIN_OBJECTS.items() for name in names},
    **dict.fromkeys(_Version.labels, _Version),
    "seealso": _SeeAlso,
    **{name: _SphinxDirective for name in "only ifconfig glossary hlist".split()},
    **{name: _Dropped for name in "contents sectnum header footer target-notes".split()},
}
_docutils_role = roles.role
_docutils_directive = directives.directive


def _role(name: str, *args: Any) -> tuple[Any, list[nodes.system_message]]:
    function, messages = _docutils_role(name, *args)
    return function or _text_role, messages


def _directive(name: str, *args: Any) -> tuple[Any, list[nodes.system_message]]:
    found = _DIRECTIVES.get(name.lower())
    return (found, []) if found else _docutils_directive(name, *args)


# docutils looks roles and directives up through two module-level functions; they are
# replaced for one parse at a time, as Sphinx does (sphinx.util.docutils.sphinx_domains).
_LOOKUP_LOCK = threading.Lock()


@contextmanager
def _sphinx_markup() -> Iterator[None]:
    with _LOOKUP_LOCK:
        roles.role, directives.directive = _role, _directive
        try:
            yield
        finally:
            roles.role, directives.directive = _docutils_role, _docutils_directive


def extract(rst: str) -> Extracted:
    """The text of a reStructuredText document as its rendered page reads."""
    with _sphinx_markup():
        tree = publish_doctree(rst, settings_overrides=_SETTINGS)
    blocks = Blocks()
    _add(tree, blocks, 0)
    title = blocks.headings[0].text if blocks.headings else ""
    return Extracted(blocks.text(), blocks.headings, title, blocks.code)


# Nodes whose text the page does not show, or that docutils made to report a problem.
_HIDDEN = (
    nodes.comment,
    nodes.substitution_definition,
    nodes.pending,
    nodes.system_message,
    nodes.raw,
    nodes.image,
)


def _add(node: nodes.Node, blocks: Blocks, depth: int) -> None:
    """Add the blocks of ``node`` (inside ``depth`` sections) and of what it holds."""
    if isinstance(node, _HIDDEN):
        return
    if isinstance(node, nodes.section):
        for child in node.children:
            if isinstance(child, nodes.title):
                blocks.heading(_inline(child), depth + 1)
            else:
                _add(child, blocks, depth + 1)
    elif isinstance(node, nodes.FixedTextElement):
        blocks.code_block(node.astext().rstrip())  # literal and doctest blocks keep their lines
    elif isinstance(node, nodes.line_block):
        blocks.add("\n".join(collapse(line.astext()) for line in node.findall(nodes.line)))
    elif isinstance(node, nodes.row):
        cells = (_inline(entry) for entry in node.children)
        blocks.add(_CELL_SEPARATOR.join(cell for cell in cells if cell))
    elif isinstance(node, nodes.option_group):  # "-a FILE, --all=FILE"
        blocks.add(", ".join(option.astext() for option in node.children))
    elif isinstance(node, nodes.definition_list_item):  # "term : classifier", definition
        named = (nodes.term, nodes.classifier)
        blocks.add(" : ".join(_inline(c) for c in node.children if isinstance(c, named)))
        for child in node.children:
            if not isinstance(child, named):
                _add(child, blocks, depth)
    elif isinstance(node, (nodes.footnote, nodes.citation)):
        _add_note(node, blocks, depth)
    elif isinstance(node, nodes.TextElement):
        blocks.add(_inline(node))
    else:
        if isinstance(node, nodes.Admonition) and not isinstance(node, nodes.admonition):
            blocks.add(en.labels.get(node.tagname, node.tagname.title()))  # "Note", "Warning"
        for child in node.children:
            _add(child, blocks, depth)


def _add_note(node: nodes.Element, blocks: Blocks, depth: int) -> None:
    """A footnote or citation: its label in brackets before its first paragraph."""
    labels = [child.astext() for child in node.children if isinstance(child, nodes.label)]
    body = [child for child in node.children if not isinstance(child, nodes.label)]
    if labels and body and isinstance(body[0], nodes.paragraph):
        blocks.add(f"[{labels[0]}] {_inline(body.pop(0))}")
    for child in body:
        _add(child, blocks, depth)


def _inline(node: nodes.Node) -> str:
    """The text of an element as one paragraph shows it."""
    return collapse("".join(_inline_parts(node)))


def _inline_parts(node: nodes.Node) -> Iterator[str]:
    if isinstance(node, nodes.Text):
        yield node.astext()  # backslash escapes resolved
    elif isinstance(node, (nodes.footnote_reference, nodes.citation_reference)):
        yield f"[{node.astext()}]"
    elif not isinstance(node, _HIDDEN):
        for child in node.children:
            if isinstance(child, nodes.Element) and not isinstance(child, nodes.Inline):
                yield " "  # a block inside a table cell: a space between
            yield from _inline_parts(child)
