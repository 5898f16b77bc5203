"""Offline retrieval-augmented Q&A with exact citations.

Importing the package first switches every library it uses to offline,
telemetry-free operation (see :mod:`rag.offline`).
"""

from rag import offline as _offline  # noqa: F401  (side effect: offline environment)
