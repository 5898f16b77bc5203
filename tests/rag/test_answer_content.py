"""Answers quote content (issue 26): never a heading, an echo of the question or a
fragment of code on their own; a how-to answer carries the code that does it."""

import pytest

from ingest.pipeline import ingest
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.settings import Settings

pytestmark = pytest.mark.slow

SPACE = '<span class="w"> </span>'  # how Pygments writes the spaces of a highlighted line
VENV_PAGE = f"""<html><head><title>Virtual Environments</title></head><body>
<div class="sphinxsidebar"><h3>Table of Contents</h3><ul><li>Previous topic</li></ul></div>
<div role="main">
<h1>Creating Virtual Environments<a class="headerlink" href="#c">¶</a></h1>
<p>The module used to create and manage virtual environments is called <code>venv</code>.</p>
<p>To create a virtual environment, decide upon a directory where you want to place it,
and run the <code>venv</code> module as a script with the directory path:</p>
<div class="highlight"><pre><span></span>python3{SPACE}-m{SPACE}venv{SPACE}tutorial-env
</pre></div>
<p>This will create the directory if it does not exist, and create directories inside it
containing a copy of the Python interpreter and various supporting files.</p>
</div></body></html>
"""
# Plain text: the questions are paragraphs of their own, not headings.
FAQ = """Frequently asked questions

How do I parse command line arguments?

Use the argparse module: it turns the strings of sys.argv into objects with attributes.

How do I read environment variables?

Read os.environ, a mapping of the names of environment variables to their values.
"""
SUBPROCESS = """# Running programs

The run function waits for the command to complete, then returns a CompletedProcess
instance that holds the arguments, the return code and any captured output.

```python
result = subprocess.run(["ls", "-l"], capture_output=True)
print(result.returncode, result.stdout)
```
"""


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    folder = tmp_path_factory.mktemp("docs")
    (folder / "docs").mkdir()
    (folder / "docs" / "venv.html").write_text(VENV_PAGE)
    (folder / "docs" / "faq.txt").write_text(FAQ)
    (folder / "docs" / "subprocess.md").write_text(SUBPROCESS)
    settings = Settings(data_dir=folder / "data")
    chain = Chain(settings)
    ingest([folder / "docs"], settings, chain.index, load_embeddings(settings))
    return chain


def test_the_venv_question_quotes_the_step_with_its_command(chain: Chain) -> None:
    answer = chain.answer("How do I create a virtual environment?")
    step = next(c for c in answer.citations if c.quote.startswith("To create a virtual env"))
    assert step.quote.endswith("with the directory path:\n\npython3 -m venv tutorial-env")
    assert step.location is not None and step.location.headings == [
        "Creating Virtual Environments"
    ]  # the heading stays visible as where the quote is
    assert all(
        "¶" not in c.quote and c.quote != "Creating Virtual Environments" for c in answer.citations
    )


def test_a_step_with_code_comes_first_only_when_it_scores_nearly_the_best(chain: Chain) -> None:
    question = "How do I create a virtual environment?"
    passages = chain.ranked(question, 5)
    ranked = chain.answerer.ranked(question, passages)
    step = next(c for c in ranked if c.quote.startswith("To create a virtual environment"))
    best = ranked[0] if ranked[0] is not step else ranked[1]
    for gap, first in ((0.005, "To create"), (0.05, best.quote[:20])):
        scores = [
            best.model_copy(update={"score": 0.8}),
            step.model_copy(update={"score": 0.8 - gap}),
        ]
        _, citations = chain.answerer.choose(scores, passages, question)
        assert citations[0].quote.startswith(first), gap
    _, citations = chain.answerer.choose([step], passages, "What do you decide upon?")
    assert "python3 -m venv" not in citations[0].quote  # not a how-to question: no code


def test_a_heading_is_never_the_whole_answer(chain: Chain) -> None:
    answer = chain.answer("Creating virtual environments")
    assert answer.citations
    assert all("Creating Virtual Environments" not in c.quote for c in answer.citations)


def test_an_echo_of_the_question_is_never_the_answer(chain: Chain) -> None:
    answer = chain.answer("How do I parse command line arguments?")
    assert answer.citations[0].quote.startswith("Use the argparse module")
    assert all("?" not in c.quote for c in answer.citations)


def test_code_is_never_cut_into_fragments(chain: Chain) -> None:
    answer = chain.answer("What does subprocess.run return when it is called with ls?")
    code = SUBPROCESS.index("result = ")
    for citation in answer.citations:
        assert citation.end <= code or citation.quote.startswith("The run function")
    assert answer.citations[0].quote.startswith("The run function waits")


def test_code_follows_only_how_to_questions(chain: Chain) -> None:
    answer = chain.answer("What do you decide upon before creating a virtual environment?")
    assert answer.citations[0].quote.startswith("To create a virtual environment")
    assert "python3 -m venv" not in answer.citations[0].quote
