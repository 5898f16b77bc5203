"""HTML rendering escapes every piece of document text."""

import re
from html import unescape

from rag.schema import Answer, Chunk, Citation, Passage, Timings
from ui.render import answer_html, passages_html, sources_html

TEXT = 'Intro. Llamas <b>hum</b> & "spit" <script>x()</script>. Outro.'
START = TEXT.index("Llamas")
END = TEXT.index(" Outro")


def make_answer(abstained: bool = False) -> Answer:
    chunk = Chunk(
        id="c",
        text=TEXT,
        source="<a>.md",
        path="/x",
        title="t",
        section="<i>Care</i>",
        start=0,
        end=len(TEXT),
    )
    quote = TEXT[START:END]
    citations = (
        []
        if abstained
        else [
            Citation(
                n=1,
                source="<a>.md",
                section="<i>Care</i>",
                start=START,
                end=END,
                quote=quote,
                score=0.5,
            )
        ]
    )
    return Answer(
        question="q",
        answer="Nothing." if abstained else f"{quote} [1]",
        abstained=abstained,
        citations=citations,
        timings_ms=Timings(retrieve=1, answer=1, total=2),
        passages=[Passage(chunk=chunk, score=0.1, dense_score=0.3)],
    )


def test_answer_links_markers_and_escapes_text() -> None:
    shown = answer_html(make_answer())
    link = '<a class="cite" href="#source-1">[1]</a>'
    # One HTML block on one line: the chat's Markdown passes it through untouched.
    assert shown.startswith('<div class="message-body">') and shown.endswith(f"{link}</div>")
    assert "\n" not in shown
    text = shown.removeprefix('<div class="message-body">').removesuffix(f"{link}</div>")
    assert "<" not in text and ">" not in text  # no tag of the document survives
    assert unescape(text) == TEXT[START:END] + " "  # the quote reads as written


def test_source_card_highlights_exactly_the_quote() -> None:
    html = sources_html(make_answer())
    assert 'id="source-1"' in html
    assert "&lt;a&gt;.md" in html and "&lt;i&gt;Care&lt;/i&gt;" in html
    before, rest = html.split("<mark>", 1)
    marked, after = rest.split("</mark>", 1)
    assert marked.startswith("Llamas &lt;b&gt;hum&lt;/b&gt;") and marked.endswith(".")
    assert "Intro." in before and "Outro." in after


def test_abstention_is_styled_and_has_no_sources() -> None:
    answer = make_answer(abstained=True)
    assert answer_html(answer).startswith('<div class="message-body"><div class="abstention"')
    assert "source-card" not in sources_html(answer)


def test_passages_view_lists_scores_escaped() -> None:
    html = passages_html(make_answer())
    assert "fused 0.1000" in html and "dense 0.300" in html and "bm25 –" in html
    assert "<script>" not in html


def test_a_card_names_the_location_and_links_to_the_source_view() -> None:
    from rag.schema import Location
    from rag.settings import Settings
    from ui.links import SourceLinks
    from ui.security import Guard

    answer = make_answer()
    cited = answer.citations[0].model_copy(
        update={"location": Location(page=2), "source_id": "ab" * 16}
    )
    guard = Guard(Settings(secret_key="k" * 32))
    card = sources_html(answer.model_copy(update={"citations": [cited]}), SourceLinks(guard, "d"))
    assert '<span class="location">page 2</span>' in card
    view = re.search(r'class="open-source" href="(source/(a|b){32}\?[^"]+#quote)"', card)
    pdf = re.search(r'class="open-file" href="(file/(a|b){32}\?token=[^"]+#page=2)"', card)
    assert view and pdf, card
    assert f"start={START}&amp;end={END}&amp;token=" in view.group(1)
    # Without links (a card rendered outside the server) there are none.
    assert "open-source" not in sources_html(answer)


def test_a_quoted_code_block_keeps_its_lines_and_indentation() -> None:
    code = "Run it:\n\nif ok:\n    main()"
    answer = make_answer().model_copy(update={"answer": f"{code} [1]"})
    shown = answer_html(answer)
    assert "<br><br>if ok:<br>&#160;&#160;&#160;&#160;main()" in shown
    lines = [unescape(re.sub(r"<[^>]+>", "", part)) for part in shown.split("<br>")]
    assert lines[:4] == ["Run it:", "", "if ok:", "\xa0" * 4 + "main() [1]"]


def test_a_source_card_lists_the_other_files_holding_the_text() -> None:
    answer = make_answer()
    cited = answer.citations[0].model_copy(update={"also": ["export/<b>copy</b>.md"]})
    shown = sources_html(answer.model_copy(update={"citations": [cited]}))
    assert '<p class="also">Also in export/&lt;b&gt;copy&lt;/b&gt;.md</p>' in shown
    assert 'class="also"' not in sources_html(make_answer())
