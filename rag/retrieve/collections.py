"""The collections (named document sets) of a deployment: their names and sizes.

Each collection is its own index (rag.retrieve.index: a Chroma collection and its
file manifest) with its own BM25 state and manifest cache; rag.catalog keeps a chain
open over each one asked for.
"""

from typing import TYPE_CHECKING

from pydantic import BaseModel

from rag.errors import ChromaUnavailable, NotFound, RagError
from rag.settings import Settings, check_collection_name

if TYPE_CHECKING:
    from chromadb.api import ClientAPI


class CollectionInfo(BaseModel):
    """One collection as `rag collections` and ``GET /api/collections`` list it."""

    name: str
    files: int
    chunks: int
    default: bool


def list_collections(settings: Settings, client: "ClientAPI | None" = None) -> list[CollectionInfo]:
    """Every collection of the deployment ``settings`` describe, with its sizes, by name.

    The default collection is listed even before anything is ingested into it.
    """
    from rag.retrieve.index import collection_names, collection_sizes, open_client

    client = client or open_client(settings)
    try:
        names = collection_names(client)
        sizes = {name: collection_sizes(client, name) for name in names}
    except Exception as error:  # chromadb raises plain exceptions when its server fails
        raise ChromaUnavailable(f"Chroma did not list the collections: {error}") from None
    return [
        CollectionInfo(
            name=name,
            files=sizes.get(name, (0, 0))[0],
            chunks=sizes.get(name, (0, 0))[1],
            default=name == settings.collection,
        )
        for name in sorted({*names, settings.collection})
    ]


def missing_collection(name: str) -> NotFound:
    """What asking collection ``name`` raises when there is none: word for word what
    ``rag.retrieve.index`` says, so that a caller refused a collection (ui.access) cannot tell
    the refusal from a missing collection (tests/ui/test_collection_access.py checks)."""
    return NotFound(
        f"no collection {name!r}: `rag collections` lists them, "
        f"`rag ingest --collection {name} PATH` creates it"
    )


def valid_name(name: str) -> str:
    """``name``, or a ``RagError`` saying what a collection name may hold."""
    try:
        return check_collection_name(name)
    except ValueError as error:
        raise RagError(f"collection {name!r}: {error}") from None
