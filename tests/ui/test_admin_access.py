"""The admin tab as an attacker meets it (issue 25): its handlers called over Gradio's
wire protocol, with server paths, without signing in, as a user who is not an admin."""

import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from gradio.utils import get_upload_folder

from harness.gradio_events import call, file_data, fn_index, login, upload
from ingest.pipeline import ingest
from rag.chain import Chain
from rag.models.embeddings import load_embeddings
from rag.settings import Settings, SettingsInvalid
from tests.conftest import SEEDS
from tests.ui.conftest import through_gate
from ui.admin import NOT_ADMIN
from ui.server import build_server

pytestmark = pytest.mark.slow
SECRET = "The vault opens with the code 4-8-15-16-23-42 on weekdays only."
NOTE = b"Visitors park in the north lot behind building C, next to the bike shed.\n"
LOGINS = ["admin:open-sesame", "bob:builder"]
MB = 1024 * 1024

Connect = Callable[..., TestClient]


@pytest.fixture
def chain(tmp_path: Path) -> Chain:
    """A chain over its own index of the seeds (the admin tab changes it)."""
    settings = Settings(
        data_dir=tmp_path / "data",
        admin=True,
        auth=LOGINS,
        admin_users=["admin"],
        api_tokens=["s3cret-token"],
        secret_key="k" * 32,
    )
    chain = Chain(settings)
    corpus = shutil.copytree(SEEDS, tmp_path / "seeds")
    ingest([corpus], settings, chain.index, load_embeddings(settings))
    return chain


@pytest.fixture
def connect(chain: Chain) -> Iterator[Connect]:
    """A client of the whole server over ``chain`` (settings changed as given), signed in
    as ``user`` when given."""
    clients: list[TestClient] = []

    def make(user: str | None = None, **changes: object) -> TestClient:
        served = Chain(chain.settings.model_copy(update=changes)) if changes else chain
        # From loopback, a trusted proxy's address: single sign-on headers count.
        client = TestClient(build_server(served), client=("127.0.0.1", 50000)).__enter__()
        clients.append(client)
        if user is not None:
            login(client, user, dict(pair.split(":") for pair in LOGINS)[user])
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    """A private file on the server, outside any upload folder."""
    path = tmp_path / "elsewhere" / f"vault-{uuid.uuid4().hex}.txt"  # a name no other run used
    path.parent.mkdir()
    path.write_text(SECRET)
    path.chmod(0o600)
    return path


def indexed_text(chain: Chain) -> str:
    return "\n".join(chunk.text for chunk in chain.index.iter_chunks())


def ingested_upload(client: TestClient, name: str, content: bytes) -> str:
    """Upload ``name`` as the file picker does (it must be accepted), then ingest it:
    what the ingest answered."""
    status, stored = upload(client, name, content)
    assert status == 200
    outcome = call(client, fn_index(client, "ingest"), [[file_data(stored[0])], None])
    assert outcome.output, outcome
    return outcome.output[0]


def test_an_ingest_naming_a_server_file_is_refused_and_the_file_is_never_read(
    connect: Connect, chain: Chain, secret_file: Path, tmp_path: Path
) -> None:
    client = connect("admin")  # even an admin may ingest only what they uploaded
    before = chain.index.count()
    outcome = call(client, fn_index(client, "ingest"), [[file_data(str(secret_file))], None])
    assert outcome.status == 403
    assert chain.index.count() == before
    assert "vault" not in indexed_text(chain)
    assert not (tmp_path / "data" / "uploads").exists()
    # Gradio copies a named file into its cache before a handler runs: no copy was made.
    assert list(Path(get_upload_folder()).rglob(secret_file.name)) == []


def test_a_path_uploaded_by_another_user_cannot_be_named(connect: Connect, chain: Chain) -> None:
    admin = connect("admin")
    status, stored = upload(admin, "parking.txt", NOTE)
    assert status == 200
    other = connect("bob")
    outcome = call(other, fn_index(other, "ingest"), [[file_data(stored[0])], None])
    assert outcome.status == 403
    assert "north lot" not in indexed_text(chain)


def test_an_upload_is_ingested_once_and_its_copies_removed(
    connect: Connect, chain: Chain, tmp_path: Path
) -> None:
    client = connect("admin")
    status, stored = upload(client, "parking.txt", NOTE)
    assert status == 200 and Path(stored[0]).is_file()
    ingest_fn = fn_index(client, "ingest")
    outcome = call(client, ingest_fn, [[file_data(stored[0])], None])
    assert outcome.output[0].startswith("Ingested 1 file: 1 added"), outcome
    assert "north lot" in indexed_text(chain)
    # The index holds the text; neither Gradio's stored upload nor our copy is kept.
    assert not Path(stored[0]).exists()
    assert list((tmp_path / "data" / "uploads").iterdir()) == []
    # A stored upload is good for one ingest.
    assert call(client, ingest_fn, [[file_data(stored[0])], None]).status == 403


def test_an_uploaded_pdf_is_kept_private_for_the_file_route(
    connect: Connect, chain: Chain, tmp_path: Path
) -> None:
    from harness.documents import write_pdf

    pdf = write_pdf(tmp_path / "rota.pdf", ["Night shifts are paid double on public holidays."])
    client = connect("admin")
    _, stored = upload(client, "rota.pdf", pdf.read_bytes())
    outcome = call(client, fn_index(client, "ingest"), [[file_data(stored[0])], None])
    assert outcome.output[0].startswith("Ingested 1 file"), outcome
    kept = tmp_path / "data" / "uploads" / "rota.pdf"
    assert kept.is_file() and kept.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("user", [None, "bob"])
def test_someone_not_an_admin_cannot_remove_list_or_ingest(
    connect: Connect, chain: Chain, user: str | None
) -> None:
    admin = connect("admin")
    remove_fn, list_fn = fn_index(admin, "remove"), fn_index(admin, "admin-tab")
    client = connect(user)
    before = chain.index.count()
    source = next(iter(chain.index.sources()))
    removed = call(client, remove_fn, [source, None])
    listed = call(client, list_fn, [None])
    if user is None:  # not signed in: Gradio's own login check refuses first
        assert removed.status == listed.status == 401
    else:
        assert removed.error == listed.error == NOT_ADMIN
        assert upload(client, "parking.txt", NOTE)[0] == 403
    assert chain.index.count() == before


def test_a_remove_by_an_admin_works(connect: Connect, chain: Chain) -> None:
    client = connect("admin")
    source = next(iter(chain.index.sources()))
    outcome = call(client, fn_index(client, "remove"), [source, None])
    assert outcome.output == [f"Removed 11 chunks of {source}."]
    assert chain.index.count() == 0


def test_an_upload_over_the_size_limit_is_refused(connect: Connect) -> None:
    client = connect("admin")
    status, stored = upload(client, "huge.txt", b"x" * (60 * MB))
    assert status == 413 and stored == []


def test_uploads_are_refused_while_the_admin_tab_is_off(connect: Connect) -> None:
    client = connect(None, admin=False, admin_users=[], auth=[])
    status, stored = upload(client, "dump.txt", b"y" * (20 * MB))
    assert status == 404 and stored == []


def test_single_sign_on_admins_are_named_users(connect: Connect, chain: Chain) -> None:
    settings = {"auth": [], "trusted_user_header": "X-Forwarded-User"}
    client = connect(None, **settings)
    source = next(iter(chain.index.sources()))
    client.headers["X-Forwarded-User"] = "carol"
    assert call(client, fn_index(client, "remove"), [source, None]).error == NOT_ADMIN
    assert chain.index.count() == 11
    assert upload(client, "parking.txt", NOTE)[0] == 403
    client.headers["X-Forwarded-User"] = "admin"
    assert ingested_upload(client, "parking.txt", NOTE).startswith("Ingested 1 file")


@pytest.mark.parametrize(
    "changes",
    [
        {"admin_users": []},  # nobody named
        {"auth": [], "admin_users": ["admin"]},  # named, but no sign-in tells them apart
        {"admin_users": ["mallory"]},  # not one of the logins
        {"auth": [], "admin_users": [], "admin_groups": ["ops"]},  # a group, but no sign-in
    ],
)
def test_an_admin_tab_that_anyone_could_use_refuses_to_start(
    chain: Chain, changes: dict[str, object]
) -> None:
    with pytest.raises(SettingsInvalid) as refused:
        build_server(Chain(chain.settings.model_copy(update=changes)))
    assert "\n" not in str(refused.value) and "RAG_ADMIN" in str(refused.value)
    assert "open-sesame" not in str(refused.value)


# --- Found by the review of the fix ----------------------------------------------


def test_a_repeated_single_sign_on_header_is_refused(connect: Connect) -> None:
    client = connect(None, auth=[], trusted_user_header="X-Forwarded-User")
    # A proxy that adds its header after the client's, instead of replacing it.
    repeated = [("X-Forwarded-User", "admin"), ("X-Forwarded-User", "bob")]
    for route in ("/config", "/api/collections"):
        response = client.get(route, headers=httpx.Headers(repeated))
        assert response.status_code == 401, (route, response.text)
    files = [("files", ("note.txt", NOTE))]
    refused = client.post("/gradio_api/upload", files=files, headers=httpx.Headers(repeated))
    assert refused.status_code == 401


def test_several_files_each_under_the_limit_upload_together(connect: Connect) -> None:
    client = connect("admin", max_file_mb=1.0)
    files = [("files", (f"part{n}.txt", b"z" * (800 * 1024))) for n in range(3)]
    response = client.post("/gradio_api/upload", files=files)
    assert response.status_code == 200, response.text
    assert len(response.json()) == 3
    too_big = [("files", ("big.txt", b"z" * (1100 * 1024)))]
    assert client.post("/gradio_api/upload", files=too_big).status_code == 413


def test_a_deeply_nested_event_is_a_json_400(connect: Connect) -> None:
    client = connect(None)
    body = "[" * 5000 + "]" * 5000
    response = client.post(
        "/gradio_api/queue/join", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["detail"]


def test_uploads_and_events_from_another_site_are_refused(connect: Connect) -> None:
    client = connect("admin")
    evil = {"Origin": "https://evil.example"}
    files = [("files", ("note.txt", NOTE))]
    assert client.post("/gradio_api/upload", files=files, headers=evil).status_code == 403
    status, stored = upload(client, "note.txt", NOTE)  # the page's own requests still work
    assert status == 200
    joined = client.post(
        "/gradio_api/queue/join",
        json={"fn_index": fn_index(client, "ingest"), "data": [[file_data(stored[0])]]},
        headers=evil,
    )
    assert joined.status_code == 403


def test_gradio_routes_the_ui_does_not_use_are_refused(connect: Connect) -> None:
    client = connect("bob")
    recording = client.post(
        "/gradio_api/process_recording", files=[("video", ("v.mp4", b"\x00" * 1024))]
    )
    assert recording.status_code in (403, 404)


def test_a_failed_upload_of_a_name_already_ingested_keeps_the_original(
    connect: Connect, chain: Chain, tmp_path: Path
) -> None:
    from harness.documents import write_pdf

    pdf = write_pdf(tmp_path / "rota.pdf", ["Night shifts are paid double on public holidays."])
    client = connect("admin")
    ingest_fn = fn_index(client, "ingest")
    _, stored = upload(client, "rota.pdf", pdf.read_bytes())
    assert (
        call(client, ingest_fn, [[file_data(stored[0])], None]).output[0].startswith("Ingested 1")
    )
    kept = tmp_path / "data" / "uploads" / "rota.pdf"
    _, stored = upload(client, "rota.pdf", b"%PDF-1.4 not a PDF at all")
    outcome = call(client, ingest_fn, [[file_data(stored[0])], None])
    assert "skipped" in outcome.output[0]
    assert kept.read_bytes() == pdf.read_bytes()  # the file /file/... serves is still there


def test_one_bad_path_uses_up_none_of_the_uploads(connect: Connect, secret_file: Path) -> None:
    client = connect("admin")
    ingest_fn = fn_index(client, "ingest")
    _, stored = upload(client, "parking.txt", NOTE)
    both = [[file_data(stored[0]), file_data(str(secret_file))], None]
    assert call(client, ingest_fn, both).status == 403
    assert (
        call(client, ingest_fn, [[file_data(stored[0])], None]).output[0].startswith("Ingested 1")
    )


def test_two_single_sign_on_header_lines_are_refused_before_any_route() -> None:
    settings = Settings(trusted_user_header="X-Forwarded-User", trusted_proxies=["127.0.0.1"])
    headers = [(b"x-forwarded-user", b"admin"), (b"x-forwarded-user", b"bob")]
    assert through_gate(settings, [headers]) == [401]


# --- Admin groups, and ingest into a chosen collection (issue 23) -------------------


def test_members_of_an_admin_group_are_admins(connect: Connect, chain: Chain) -> None:
    groups = {"access": {"groups": {"ops": ["bob"]}}, "admin_users": [], "admin_groups": ["ops"]}
    bob = connect("bob", **groups)
    assert ingested_upload(bob, "parking.txt", NOTE).startswith("Ingested 1 file")
    admin = connect("admin", **groups)  # no longer named, and in no admin group
    assert upload(admin, "parking.txt", NOTE)[0] == 403
    source = next(iter(chain.index.sources()))
    assert call(admin, fn_index(admin, "remove"), [source, None]).error == NOT_ADMIN


def test_single_sign_on_admin_groups_come_from_the_proxy(connect: Connect) -> None:
    settings = {
        "auth": [],
        "trusted_user_header": "X-Forwarded-User",
        "trusted_groups_header": "X-Forwarded-Groups",
        "admin_users": [],
        "admin_groups": ["rag-admins"],
    }
    client = connect(None, **settings)
    client.headers["X-Forwarded-User"] = "erin"
    assert upload(client, "parking.txt", NOTE)[0] == 403
    client.headers["X-Forwarded-Groups"] = "staff, rag-admins"
    assert ingested_upload(client, "parking.txt", NOTE).startswith("Ingested 1 file")


def test_an_admin_ingests_into_a_chosen_collection(connect: Connect, chain: Chain) -> None:
    client = connect("admin")
    _, stored = upload(client, "parking.txt", NOTE)
    outcome = call(client, fn_index(client, "ingest"), [[file_data(stored[0])], "facilities"])
    assert outcome.output[0].startswith("Ingested 1 file"), outcome
    assert "north lot" not in indexed_text(chain)  # the default collection is unchanged
    listed = call(client, fn_index(client, "admin-tab"), ["facilities"])
    assert "parking.txt" in str(listed.output) and "netflix" not in str(listed.output)
    asked = client.post(
        "/api/ask", json={"question": "Where do visitors park?", "collection": "facilities"}
    )
    assert asked.status_code == 200 and "north lot" in asked.json()["answer"]


def test_a_chosen_collection_must_be_a_collection_name(connect: Connect, chain: Chain) -> None:
    client = connect("admin")
    _, stored = upload(client, "parking.txt", NOTE)
    outcome = call(client, fn_index(client, "ingest"), [[file_data(stored[0])], "../hr"])
    assert outcome.error is not None and "collection" in outcome.error
    assert "north lot" not in indexed_text(chain)
