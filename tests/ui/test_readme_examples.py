"""The README's curl and gradio_client examples, run against a live server."""

import json
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.ui.conftest import App

pytestmark = [pytest.mark.server, pytest.mark.slow]
DOCUMENTED_URL = "http://127.0.0.1:7860"


def example(name: str) -> str:
    """The code block that follows ``<!-- example: name -->`` in the README."""
    readme = (REPO / "README.md").read_text()
    match = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)```", readme, re.DOTALL)
    assert match, f"README has no example {name!r}"
    return match.group(1)


def test_curl_example(app: App) -> None:
    script = example("curl").replace(DOCUMENTED_URL, app.url)
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    answer = json.loads(result.stdout)
    assert "Happy Gilmore 2" in answer["answer"] and answer["citations"]


def test_gradio_client_example(app: App) -> None:
    script = example("gradio_client").replace(DOCUMENTED_URL, app.url)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert "Happy Gilmore 2" in result.stdout
