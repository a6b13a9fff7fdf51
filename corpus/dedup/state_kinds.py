"""What works on a state of either kind (a SQLite file, a Parquet folder): opening one that exists,
copying between kinds (``state export``, ``state import``), and the lock a run takes on it: a local state's
is :func:`corpus.dedup.state.locked` (``flock``, let go by the system when its process ends); a state in
object storage's is an object, ``lock.json`` under its prefix, made with a conditional write
(``If-None-Match: *``: of two runs, the store lets one make it), naming the run that holds it, and removed
at the end only if it is still the one made (``If-Match`` on its ETag). A run killed outright (SIGKILL, a lost
machine) leaves it behind: ``newsclean state unlock`` removes it, naming the run that held it."""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from corpus.dedup.minhash import Signature
from corpus.dedup.parquet_index import Place, refused
from corpus.dedup.parquet_state import LOCK, META, ParquetState, is_parquet_state
from corpus.dedup.state import StateError, StateIndex, locked, stored_params
from corpus.inputs.storage import is_url, scheme

LOCKING_SCHEMES = ("s3", "s3a")  # stores whose conditional writes make the lock (If-None-Match on PutObject)


@contextmanager
def state_lock(path: str, wait: float, announce: bool = True, holder: str = "") -> Iterator[None]:
    """The lock a run (or ``state prune``) holds on a state while it reads and commits it; waits up to ``wait``
    seconds for another run to let go, then refuses (StateError) naming the run that holds it."""
    if not is_url(path):
        with locked(path.rstrip("/" + os.sep), wait, announce=announce):
            yield
        return
    if scheme(path) not in LOCKING_SCHEMES:
        raise StateError(f"{path}: a state in object storage is supported on s3:// (whose conditional writes "
                         f"make its lock), not on {scheme(path)}://")
    place = Place(path.rstrip("/"))
    lock = place(LOCK)
    mine = json.dumps({"run": holder or secrets.token_hex(4), "host": socket.gethostname(), "pid": os.getpid(),
                       "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}, indent=1).encode()
    deadline, said = time.monotonic() + wait, False
    while (tag := _create_or_undo(place, lock, mine)) is None:
        if time.monotonic() >= deadline:
            raise StateError(f"{path} is in use by another newsclean run: {lock_holder(place)} (waited {wait:g} s; "
                             f"see --lock-wait). If that run is gone (killed, its machine lost), remove the lock: "
                             f"newsclean state unlock {path}")
        if announce and not said:
            print(f"newsclean: waiting for another run to release {path} ({lock_holder(place)})", file=sys.stderr)
            said = True
        time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
    try:
        yield
    finally:
        _release(place, lock, tag)


def _create_or_undo(place: Place, lock: str, body: bytes) -> str | None:
    """:func:`_create`; interrupted (SIGTERM, Ctrl-C) once the store may have made the object but before its
    answer came back, the lock is removed if it is this run's (its content says so), not left to ``unlock``."""
    try:
        return _create(place, lock, body)
    except BaseException:
        with suppress(Exception):
            held, tag = place.read_versioned(lock)
            if held == body:
                _release(place, lock, tag or "")
        raise


def _create(place: Place, lock: str, body: bytes) -> str | None:
    """Make the lock object if there is none (one conditional PUT); its ETag, or None when another run has it."""
    try:
        done = place.fs.pipe_file(place.key(lock), body, mode="create")
    except OSError as err:
        if refused(err):
            return None
        raise StateError(f"{lock}: cannot make the state's lock ({err})") from err
    return (done or {}).get("ETag") or place.version(lock) or ""


def _release(place: Place, lock: str, tag: str) -> None:
    """Remove the lock if it is still the one this run made (a conditional DELETE); a lock removed by hand and
    taken by another run since is left to that run."""
    bucket, _, key = place.key(lock).partition("/")
    try:
        place.fs.call_s3("delete_object", Bucket=bucket, Key=key, **({"IfMatch": tag} if tag else {}))
    except Exception as err:  # noqa: BLE001 - the run is done; say what is left behind, never fail for it
        if not refused(err) and not isinstance(err, FileNotFoundError):
            print(f"newsclean: the lock {lock} could not be removed ({err}): once no run holds the state, "
                  f"newsclean state unlock {place.root}/", file=sys.stderr)
    place.fs.invalidate_cache(place.key(lock))


def lock_holder(place: Place) -> str:
    """Who holds a state's lock object, as the refusal names it: run, host, process, since when."""
    try:
        held = json.loads(place.read(place(LOCK)))
        since = datetime.fromisoformat(held["since"])
        age = int((datetime.now(timezone.utc) - since).total_seconds())
        return (f"run {held['run']} on {held['host']} (process {held['pid']}) holds {place(LOCK)} since "
                f"{held['since']} ({age // 3600}h{age % 3600 // 60:02d}m ago)")
    except FileNotFoundError:
        return f"{place(LOCK)} was just removed"
    except (OSError, ValueError, KeyError, TypeError):
        return f"{place(LOCK)} is held (its content unreadable)"


def unlock_state(path: str) -> str | None:
    """``newsclean state unlock``: remove the lock object of a state in object storage; who held it (None when
    it was not locked). A local state has no lock to remove: the system lets go of it when its run ends."""
    if not is_url(path):
        raise StateError(f"{path} is a local state: its lock is let go by the system when its run ends, even a "
                         "killed one; there is nothing to unlock")
    place = Place(path.rstrip("/"))
    if not place.exists(place(LOCK)):
        return None
    held = lock_holder(place)
    place.remove(place(LOCK))
    return held


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
        place = Place(path.rstrip("/" + os.sep) or ".")
        if not place.exists(place(META)):
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
