"""The one exception type users see: a clear message, never a traceback."""


class RagError(Exception):
    """A problem the user can fix (bad input, missing index, unreachable server)."""


class LlmUnavailable(RagError):
    """The configured LLM server did not answer (unreachable, failing or timed out)."""
