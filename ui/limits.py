"""How much one client may ask: a moving-window rate limit per client (the ``limits``
library) and a bound on answers in progress; past either, a 429 JSON error instead
of a hang. A client is the ``key`` of its ``Caller`` (ui.identity)."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import HTTPException
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from rag.settings import Settings


class RequestLimits:
    """``rate_limit`` per client and ``max_pending`` answers in progress."""

    def __init__(self, settings: Settings) -> None:
        """Read the limits once."""
        self._settings = settings
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._rate = parse(settings.rate_limit)
        self._pending = 0
        self._lock = threading.Lock()

    def count(self, client: str) -> None:
        """Count one request of ``client``; 429 past the rate limit."""
        if not self._limiter.hit(self._rate, client):
            raise HTTPException(429, f"rate limit of {self._settings.rate_limit} exceeded")

    def enter(self) -> None:
        """Take a place among the pending answers; 429 when all are taken."""
        with self._lock:
            if self._pending >= self._settings.max_pending:
                raise HTTPException(429, "the server is busy; try again in a moment")
            self._pending += 1

    def leave(self) -> None:
        """Give the place back."""
        with self._lock:
            self._pending -= 1

    @contextmanager
    def held(self) -> Iterator[None]:
        """A place among the pending answers for the ``with`` block (429 when all are taken)."""
        self.enter()
        try:
            yield
        finally:
            self.leave()
