"""Files -> documents -> chunks -> index: idempotent, incremental ingestion."""

import rag  # noqa: F401  (offline environment before any library loads)
