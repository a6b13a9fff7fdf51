"""The limits every stage shares: light to import (the command line reads them for its --help)."""

DEFAULT_MAX_BYTES = 50 * 1024 * 1024  # past this a "news page" is not one
MAX_BYTES_CAP = 1 << 62  # a --max-bytes beyond this means "no limit"; zlib's length arguments stop there
DEFAULT_TIMEOUT = 60.0  # seconds per document: trafilatura takes ~0.05 s on a news page
MAX_TIMEOUT = 7 * 24 * 3600.0  # a week: past this there is no limit worth setting (use 0)
