"""What works on a state of either kind (a SQLite file, a Parquet folder): opening one that exists,
copying between kinds (``state export``, ``state import``)."""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

import numpy as np

from corpus.dedup.minhash import Signature
from corpus.dedup.parquet_state import META, ParquetState, is_parquet_state
from corpus.dedup.state import StateError, StateIndex, stored_params


def copy_state(source: Any, target: Any) -> int:  # noqa: ANN401 - StateIndex or ParquetState, each way
    """Every record and run of ``source`` into the empty ``target``, run by run; returns the records copied."""
    runs = {run: (fingerprint, started, mode) for run, fingerprint, started, mode, _ in source.stored_runs()}
    by_run: dict[int, list[tuple[str, str, str, Signature]]] = {run: [] for run in runs}
    for _, doc_id, path, seen, run, shingles, words, blob in source.stored_docs():
        by_run.setdefault(run, []).append((doc_id, path, seen, Signature(np.frombuffer(blob, np.uint32), shingles,
                                                                         words)))
    lines = dict(source.stored_lines())
    copied = 0
    for run in sorted(set(by_run) | set(lines)):
        target.begin()
        for doc_id, path, seen, sig in by_run.get(run, []):
            target.add(doc_id, path, sig, seen, run)
        if run in lines:
            target.add_lines(run, lines[run])
        fingerprint, started, mode = runs.get(run, ("", "", "bulk"))
        copied += target.commit(run, fingerprint, started, mode)
    return copied


def open_existing_state(path: str) -> StateIndex | ParquetState:
    """A state that exists, of either kind: a SQLite file, or a Parquet folder (as ``--state`` takes
    either); what is neither is refused by name, never created."""
    if is_parquet_state(path):
        try:
            import pyarrow.parquet  # noqa: F401 - the optional "parquet" extra
        except ImportError:
            raise StateError(f"{path} is a Parquet state: reading it needs "
                             "pip install -e '.[parquet]' in the checkout") \
                from None
        if not Path(path, META).is_file():
            raise StateError(f"{path} is not a newsclean state (a folder without {META})")
        return ParquetState(path)
    params = stored_params(path)
    if params is None:
        raise StateError(f"{path} is not a newsclean state")
    return StateIndex(path, params)


def import_state(folder: str, target: str) -> int:
    """A Parquet state into a new SQLite state file; returns the records copied. Every part is read and
    checked first, and the file is made under a temporary name beside ``target``, renamed at the end:
    a refused or failed import leaves nothing behind."""
    from corpus.dedup.state import StateIndex

    source = ParquetState(folder)
    source.verify()
    where = Path(target).resolve().parent
    fd, tmp = tempfile.mkstemp(prefix=f".{Path(target).name}.", suffix=".import", dir=where)
    os.close(fd)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        index = StateIndex(tmp, source.params)
        try:
            copied = copy_state(source, index)
        finally:
            index.close()
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, f"{tmp}-wal", f"{tmp}-shm"):
            with suppress(FileNotFoundError):
                os.unlink(leftover)
    return copied
