"""Before anything is written: the run's outputs, its state and its inputs must be different files.

``ingest feed.jsonl -o feed.jsonl`` would read nothing (the reader never reads the run's own
outputs) and then replace the feed with an empty file; ``-o X --manifest X`` would keep only one
of them; ``--state nightly.db -o nightly.db`` would put records where the state was. Two names are
the same file when they share a device and inode (links followed); a name that does not exist yet
is compared by its resolved path. An existing output inside an input folder, of a kind the reader
reads, is an input too, unless newsclean wrote it (last night's records or rejects, which the reader
passes over as the run's own output).
"""

from __future__ import annotations

import gzip
import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from corpus.inputs.files import classify
from corpus.inputs.storage import is_url


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _is_special(path: str) -> bool:
    """A FIFO, device or socket (``-o /dev/null --rejects /dev/null``): nothing there to lose."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _same(a: str, b: str) -> bool:
    ident = _identity(a)
    return ident is not None and ident == _identity(b) or os.path.realpath(a) == os.path.realpath(b)


def written_by_newsclean(path: str) -> bool:
    """Whether a file holds newsclean's records or rejects (judged by its first line), or nothing."""
    try:
        with open(path, "rb") as raw:
            head = raw.read(2)
            raw.seek(0)
            handle = gzip.open(raw) if head == b"\x1f\x8b" else raw  # noqa: SIM115 - closed with raw
            line = handle.readline(1 << 20)
    except (OSError, EOFError):
        return False
    if not line.strip():
        return True
    try:
        first = json.loads(line)
    except ValueError:
        return False
    return isinstance(first, dict) and ("provenance" in first or {"path", "reason"} <= set(first))


def clashing_targets(targets: Iterable[tuple[str, str | None]], inputs: Iterable[str] = ()) -> str | None:
    """A sentence naming the two options that name one file, or None. ``targets``: (option, path) of each
    output and the state; ``inputs``: the PATH arguments ("-" and URLs are passed over)."""
    named = [(option, path.rstrip("/" + os.sep) or path) for option, path in targets
             if path and not is_url(path) and not _is_special(path)]
    for i, (option, path) in enumerate(named):
        for other_option, other in named[:i]:
            if _same(path, other):
                return f"{other_option} and {option} name the same file ({path}): give each its own name"
    arguments = [arg for arg in inputs if arg != "-" and not is_url(arg) and os.path.exists(arg)]
    for option, path in named:
        if not os.path.exists(path):
            continue
        real = os.path.realpath(path)
        for arg in arguments:
            if _same(path, arg):
                return f"PATH {arg} and {option} name the same file: the run would replace its own input"
            read = classify(Path(path))[0] is not None if os.path.isfile(path) else option != "--state"
            if read and os.path.isdir(arg) and real.startswith(os.path.join(os.path.realpath(arg), "")) \
                    and not written_by_newsclean(path):
                return (f"{option} {path} lies inside the input folder PATH {arg}, where it would be read as input "
                        "and replaced: write it elsewhere")
    return None
