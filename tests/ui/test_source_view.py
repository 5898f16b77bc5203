"""The source view and the original files (issue 12), in-process over a real index:
the quote marked in escaped text, PDFs at their page, ingested files only, and no
more access than /api/ask gives."""

import html
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from harness.corpora import ENGINEERING_QUESTION, Deployment
from harness.documents import write_pdf
from rag.chain import Chain
from rag.retrieve.source_text import source_text
from rag.schema import source_id
from ui.server import build_server

pytestmark = pytest.mark.slow
PAGE_TWO = {"question": "How many llamas does the farm keep?"}
INTRANET = "https://intranet.example"
MARKED = re.compile(r'<mark id="quote" tabindex="-1" autofocus>(.*?)</mark>', re.DOTALL)

MakeClient = Callable[..., TestClient]


@pytest.fixture(scope="module")
def make_client(located_chain: Chain) -> MakeClient:
    """A TestClient of the whole server over the located corpus, some settings changed."""

    def make(**changes: object) -> TestClient:
        settings = located_chain.settings.model_copy(update={"secret_key": "k" * 32, **changes})
        return TestClient(build_server(Chain(settings, retriever=located_chain.retriever)))

    return make


@pytest.fixture(scope="module")
def client(make_client: MakeClient) -> TestClient:
    """The server with nothing configured, shared by the module (a high rate limit)."""
    return make_client(rate_limit="1000/minute")


def docs(chain: Chain) -> Path:
    return chain.settings.data_dir.parent / "docs"


def cited(client: TestClient, headers: dict[str, str] | None = None) -> dict:
    """The first citation of the page-two question."""
    response = client.post("/api/ask", json=PAGE_TWO, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()["citations"][0]


def link(client: TestClient, citation: dict, headers: dict[str, str] | None = None) -> str:
    """The signed source-view link the widget would follow, as a path."""
    body = {key: citation[key] for key in ("source_id", "start", "end")}
    response = client.post("/api/source-link", json=body, headers=headers or {})
    assert response.status_code == 200, response.text
    return "/" + response.json()["url"]


def test_the_source_view_marks_exactly_the_quote(client: TestClient) -> None:
    citation = cited(client)
    url = link(client, citation)
    assert url.endswith("#quote") and "/source/" + citation["source_id"] in url
    page = client.get(url)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]  # no script at all
    marked = MARKED.findall(page.text)
    assert [html.unescape(m) for m in marked] == [citation["quote"]]
    assert "page 2" in page.text and "Page 3" in page.text  # the quote's page, page markers
    pdf_link = re.search(r'href="(\.\./file/[0-9a-f]{32}\?token=[^"]+#page=2)"', page.text)
    assert pdf_link, page.text[:2000]


def test_document_markup_is_shown_as_text(client: TestClient, located_chain: Chain) -> None:
    file_id = source_id(str(docs(located_chain) / "markup.md"))
    page = client.get(f"/source/{file_id}")
    assert page.status_code == 200
    body = page.text.split("<main", 1)[1]
    assert "<script" not in body and "<b>" not in body
    assert "&lt;script&gt;window.__xss = 1&lt;/script&gt; tag &amp; &lt;b&gt;bold&lt;/b&gt;" in body


def test_the_original_pdf_is_served(client: TestClient, located_chain: Chain) -> None:
    citation = cited(client)
    response = client.get(f"/file/{citation['source_id']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content == (docs(located_chain) / "farm.pdf").read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/file/..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "/file/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/file/..%5c..%5c..%5cetc%5cpasswd",
        "/source/..%2F..%2F..%2Fetc%2Fpasswd",
        "/file/etc/passwd",
        "/file/%2Fetc%2Fpasswd",
        "/file/" + source_id("/etc/passwd"),
        "/source/" + source_id("/etc/passwd"),
    ],
)
def test_no_path_reaches_a_file_that_was_not_ingested(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert "root:" not in response.text


def test_only_ingested_pdfs_are_served(client: TestClient, located_chain: Chain) -> None:
    folder = docs(located_chain)
    # A PDF beside the ingested ones, never ingested: its id names no record.
    stray = write_pdf(folder.parent / "stray.pdf", ["Not ingested."])
    assert client.get(f"/file/{source_id(str(stray))}").status_code == 404
    # An ingested file that is not a PDF: shown by the source view, never served raw.
    markup = client.get(f"/file/{source_id(str(folder / 'markup.md'))}")
    assert markup.status_code == 404 and "only PDF" in markup.json()["detail"]


def test_a_pdf_replaced_since_ingest_is_not_served(
    client: TestClient, located_chain: Chain
) -> None:
    url = f"/file/{cited(client)['source_id']}"
    pdf = docs(located_chain) / "farm.pdf"
    original = pdf.read_bytes()
    elsewhere = pdf.parent.parent / "elsewhere.pdf"
    elsewhere.write_bytes(original)
    try:
        pdf.unlink()
        pdf.symlink_to(elsewhere)  # the same bytes, through a link that could point anywhere
        linked = client.get(url)
        assert linked.status_code == 404 and "regular file" in linked.json()["detail"]
        pdf.unlink()
        pdf.write_bytes(original + b"\n%% edited\n")
        changed = client.get(url)
        assert changed.status_code == 409 and "ingest it again" in changed.json()["detail"]
        pdf.write_bytes(b"<html>" + original)
        assert client.get(url).status_code == 409
    finally:
        pdf.unlink(missing_ok=True)
        pdf.write_bytes(original)
    assert client.get(url).status_code == 200


def test_a_bad_collection_name_is_refused_as_by_the_api(client: TestClient) -> None:
    file_id = cited(client)["source_id"]
    for response in (
        client.get(f"/source/{file_id}?collection=a.b"),
        client.get(f"/file/{file_id}?collection=a.b"),
        client.post(
            "/api/source-link",
            json={"source_id": file_id, "start": 0, "end": 1, "collection": "a.b"},
        ),
        client.post("/api/ask", json={**PAGE_TWO, "collection": "a.b"}),
    ):
        assert response.status_code == 422, response.text
        assert "collection name" in response.text


@pytest.mark.parametrize("query", ["start=5", "start=9&end=3", "start=0&end=999999", "end=-1"])
def test_a_span_outside_the_text_is_refused(client: TestClient, query: str) -> None:
    citation = cited(client)
    response = client.get(f"/source/{citation['source_id']}?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/json")


def test_with_api_tokens_a_source_needs_a_token_or_a_signed_link(make_client: MakeClient) -> None:
    client = make_client(api_tokens=["s3cret"])
    bearer = {"Authorization": "Bearer s3cret"}
    citation = cited(client, bearer)
    view = f"/source/{citation['source_id']}?start={citation['start']}&end={citation['end']}"
    original = f"/file/{citation['source_id']}"
    for path in (view, original):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=bearer).status_code == 200
    assert client.post("/api/source-link", json={**citation, "n": 1}).status_code == 401
    signed = link(client, citation, bearer)
    assert client.get(signed).status_code == 200  # the link alone opens that one file
    token = parse_qs(urlsplit(signed).query)["token"][0]
    assert client.get(f"{original}?token={token}").status_code == 200
    other = source_id(str(Path(citation["source"]).resolve().parent / "markup.md"))
    refused = client.get(f"/source/{other}?token={token}")
    assert refused.status_code == 401 and "another file" in refused.json()["detail"]


def test_with_logins_the_ui_session_opens_sources(make_client: MakeClient) -> None:
    client = make_client(auth=["alice:wonderland"])
    assert client.get(f"/source/{source_id('/nowhere')}").status_code == 401
    assert client.post("/login", data={"username": "alice", "password": "wonderland"}).is_success
    citation = cited(client)
    assert client.get(f"/source/{citation['source_id']}").status_code == 200


def test_a_widget_token_gets_a_source_link(make_client: MakeClient) -> None:
    client = make_client(api_tokens=["s3cret"], allowed_origins=[INTRANET])
    issued = client.post("/api/widget-token", headers={"Origin": INTRANET}).json()["token"]
    widget = {"Authorization": f"Bearer {issued}", "Origin": INTRANET}
    citation = cited(client, widget)
    assert client.get(link(client, citation, widget)).status_code == 200


def test_a_source_in_another_collection_is_opened_there(deployment: Deployment) -> None:
    settings = deployment.settings.model_copy(update={"secret_key": "k" * 32})
    client = TestClient(build_server(Chain(settings)))
    asked = {"question": ENGINEERING_QUESTION, "collection": "engineering"}
    citation = client.post("/api/ask", json=asked).json()["citations"][0]
    body = {key: citation[key] for key in ("source_id", "start", "end")}
    url = client.post("/api/source-link", json={**body, "collection": "engineering"}).json()["url"]
    assert "collection=engineering" in url
    page = client.get("/" + url)
    assert page.status_code == 200
    assert [html.unescape(m) for m in MARKED.findall(page.text)] == [citation["quote"]]
    # The default collection (hr) has no such file.
    assert client.get(f"/source/{citation['source_id']}").status_code == 404


@pytest.mark.parametrize(
    "span", [(9, 3), (0, 10**29), (0, "past the end")], ids=["reversed", "huge", "past-the-end"]
)
def test_a_source_link_is_signed_only_for_a_span_of_the_text(
    client: TestClient, located_chain: Chain, span: tuple[int, int | str]
) -> None:
    citation = cited(client)
    record = located_chain.index.file_record(citation["source_id"])
    assert record is not None
    length = len(source_text(located_chain.index, record).text)
    start, end = span
    body = {"source_id": citation["source_id"], "start": start, "end": end}
    if end == "past the end":
        assert client.post("/api/source-link", json={**body, "end": length}).status_code == 200
        body["end"] = length + 1
    response = client.post("/api/source-link", json=body)
    assert response.status_code == 422, response.text


def test_offsets_are_integers_not_booleans(client: TestClient) -> None:
    citation = cited(client)
    body = {"source_id": citation["source_id"], "start": True, "end": citation["end"]}
    assert client.post("/api/source-link", json=body).status_code == 422
