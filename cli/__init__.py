"""The `rag` command: the composition root over the library, ingest, the server and evals."""
