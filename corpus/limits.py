"""The limits every stage shares: light to import (the command line reads them for its --help)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DEFAULT_MAX_BYTES = 50 * 1024 * 1024  # past this a "news page" is not one
MAX_BYTES_CAP = 1 << 62  # a --max-bytes beyond this means "no limit"; zlib's length arguments stop there
DEFAULT_TIMEOUT = 60.0  # seconds per document: trafilatura takes ~0.05 s on a news page
MAX_TIMEOUT = 7 * 24 * 3600.0  # a week: past this there is no limit worth setting (use 0)


class Remembered(dict):
    """A function's answers by argument, all forgotten at once past ``limit`` of them: the per-word
    memories of dedup and language detection (a corpus repeats its words; the bound keeps memory
    flat however long the run). Looked up from C (``map(r.__getitem__, ...)``), computed on a miss."""

    def __init__(self, compute: Callable[[Any], Any], limit: int) -> None:
        super().__init__()
        self.compute, self.limit = compute, limit

    def __missing__(self, key: Any) -> Any:  # noqa: ANN401 - whatever compute takes and gives
        if len(self) >= self.limit:
            self.clear()
        value = self[key] = self.compute(key)
        return value
