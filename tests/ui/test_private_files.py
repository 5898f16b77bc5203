"""Everything `rag ingest` and `rag serve` write in the data folder is the owner's alone."""

import os
import shutil
import stat
import subprocess
import urllib.request
from pathlib import Path

import pytest

from harness.servers import BIN, free_port, running
from tests.conftest import SEEDS

pytestmark = [pytest.mark.server, pytest.mark.slow]


def modes(folder: Path) -> dict[str, int]:
    """The permission bits of ``folder`` and of everything under it."""
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for root, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(root, name)
            found[str(path.relative_to(folder))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def test_the_data_folder_is_private_after_ingest_and_serve(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data")}
    previous = os.umask(0o022)  # what a shell usually has: files 0644, folders 0755
    try:
        subprocess.run([str(BIN / "rag"), "ingest", "seeds"], cwd=tmp_path, env=env, check=True)
    finally:
        os.umask(previous)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(BIN / "rag"), "serve", "--port", str(port)]
    with running(command, f"{url}/readyz", tmp_path / "serve.log", cwd=tmp_path, env=env):
        question = b'{"question": "Which film used AI tools to de-age characters?"}'
        request = urllib.request.Request(
            f"{url}/api/ask", question, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request) as response:  # fills the sentence cache
            assert response.status == 200
    found = modes(tmp_path / "data")
    names = set(found)
    assert {"chroma/chroma.sqlite3", "secret.key"} <= names, names
    assert any(name.startswith("cache/") for name in names)  # the sentence store
    opened = {name: oct(mode) for name, mode in found.items() if mode & 0o077}
    assert opened == {}


def test_a_data_folder_others_can_read_is_reported(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "seeds")
    (tmp_path / "data").mkdir(mode=0o755)
    (tmp_path / "data").chmod(0o755)
    env = {**os.environ, "RAG_DATA_DIR": str(tmp_path / "data")}
    result = subprocess.run(
        [str(BIN / "rag"), "ingest", "seeds"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "other users of this machine can read the data folder" in result.stderr
    assert "chmod -R go-rwx" in result.stderr
