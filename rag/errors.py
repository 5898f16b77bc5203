"""The one exception type users see: a clear message, never a traceback."""


class RagError(Exception):
    """A problem the user can fix (bad input, missing index, unreachable server)."""


class Unavailable(RagError):
    """A server the answers depend on (Chroma, the LLM) cannot be reached: try again later."""


class ChromaUnavailable(Unavailable):
    """The Chroma server given by ``chroma_url`` did not answer."""


class LlmUnavailable(Unavailable):
    """The configured LLM server did not answer (unreachable, failing or timed out)."""


class NotFound(RagError):
    """What a question names does not exist: a collection, or documents under a path."""
