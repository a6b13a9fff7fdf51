"""Stage 5: write records as JSON Lines, to stdout or atomically to a file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def dumps(record: dict[str, Any]) -> str:
    """One record as one line; fixed separators and key order make reruns byte-identical."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def check_writable(path: str) -> None:
    """Fail before any work when the output cannot be created (raises OSError)."""
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise FileNotFoundError(f"no such folder: {folder}")
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"cannot write in {folder}")


@contextmanager
def atomic_output(path: str) -> Iterator[IO[str]]:
    """A file that appears at ``path`` only when the block ends without an error."""
    folder = Path(path).resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=f".{Path(path).name}.", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str], flush_each: bool = False) -> int:
    """Write each record as it comes (``flush_each``: pass it on at once); returns how many."""
    count = 0
    for record in records:
        out.write(dumps(record) + "\n")
        if flush_each:
            out.flush()
        count += 1
    return count
