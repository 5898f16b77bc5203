"""reStructuredText reads as its rendered page: roles as their text, build directives and
comments left out, sections as headings, and nothing docutils does not know fails a file."""

from pathlib import Path

import pytest

from ingest.chunker import chunk_document
from ingest.document import LoadError, SourceDocument
from ingest.loaders import load
from rag.schema import Location

GUIDE = """\
.. highlight:: python

.. module:: llamas
   :synopsis: Llama care.

.. index:: single: shearing

Llama care
==========

.. contents::

Use :func:`llamas.shear` or :meth:`~llamas.Herd.count`, see :ref:`the feeding guide
<feeding>` and :pep:`8`; :gh:`123` is a role nobody defined. An escaped \\*star\\*.

.. toctree::
   :maxdepth: 2

   feeding

.. This comment is for the authors.

.. note::

   Llamas hum when content.

.. sparkle:: a directive nobody defined

   Its content is not shown.

Shearing
--------

Shear once a year:

.. code-block:: console
   :linenos:
   :caption: Shearing

   $ llama shear --all
   $ llama count

A literal block::

   herd = Herd()
   herd.count()

.. function:: shear(llama, *, blade=None, \\
                    gentle=True)
   :noindex:

   Shear one llama.

   .. versionchanged:: 3.2 Added *gentle*.

.. include:: /etc/passwd
"""


def _load(tmp_path: Path, text: str, name: str = "guide.rst") -> SourceDocument:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load(path, name)


def test_roles_read_as_their_text(tmp_path: Path) -> None:
    doc = _load(tmp_path, GUIDE)
    assert (
        "Use llamas.shear or count, see the feeding guide and PEP 8; 123 is a role nobody "
        "defined. An escaped *star*."
    ) in doc.text
    assert ":func:" not in doc.text and "`" not in doc.text


def test_build_directives_comments_and_unknown_directives_are_left_out(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    doc = _load(tmp_path, GUIDE)
    for hidden in (
        "highlight",
        "synopsis",
        "shearing\n",
        "maxdepth",
        "feeding\n",
        "authors",
        "sparkle",
        "Its content",
        "root:",
        "Contents",
    ):
        assert hidden not in doc.text
    assert "..\u0020" not in doc.text and "system_message" not in doc.text
    assert capfd.readouterr() == ("", "")  # docutils' complaints are not printed


def test_content_directives_keep_their_text_and_code_its_lines(tmp_path: Path) -> None:
    doc = _load(tmp_path, GUIDE)
    assert "\n\nNote\n\nLlamas hum when content.\n\n" in doc.text
    assert "\n\n$ llama shear --all\n$ llama count\n\n" in doc.text
    assert "\n\nA literal block:\n\nherd = Herd()\nherd.count()\n\n" in doc.text
    assert doc.text.endswith(
        "shear(llama, *, blade=None, gentle=True)\n\n"
        "Shear one llama.\n\n"
        "Changed in version 3.2: Added gentle."
    )


def test_sections_are_headings_with_their_path(tmp_path: Path) -> None:
    doc = _load(tmp_path, GUIDE)
    assert doc.title == "Llama care"
    assert [(h.level, h.text) for h in doc.headings] == [(1, "Llama care"), (2, "Shearing")]
    assert all(doc.text[h.start : h.end] == h.text for h in doc.headings)
    offset = doc.text.index("Shear one llama.")
    chunk = next(c for c in chunk_document(doc, 800, 0) if c.start <= offset < c.end)
    assert chunk.location(offset) == Location(headings=["Llama care", "Shearing"])


def test_a_sphinx_source_copy_is_read_as_restructuredtext(tmp_path: Path) -> None:
    copy = _load(tmp_path, GUIDE, "guide.rst.txt")
    assert copy.text == _load(tmp_path, GUIDE).text
    plain = _load(tmp_path, GUIDE, "guide.txt")
    assert plain.text == GUIDE  # a .txt file stays plain text


def test_a_file_of_directives_only_is_skipped_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="no text in the reStructuredText file"):
        _load(tmp_path, ".. module:: llamas\n\n.. index:: single: llama\n")
