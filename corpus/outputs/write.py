"""Stage 5: write records as JSON Lines, to stdout or to files that appear only when the run succeeds.

A run's outputs (records, rejects, manifest) are first written to temporary files beside their
targets (:class:`StagedOutputs`); the state is committed next; only then are the temporary
files renamed over last night's. A failure at any point before the renames leaves every old
file, and the state, as they were. ``-o FILE.gz`` and ``-o FILE.zst`` are compressed as named.
"""

from __future__ import annotations

import fcntl
import glob
import gzip
import io
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, Protocol

from corpus.inputs import storage
from corpus.inputs.storage import is_url


def dumps(record: dict[str, Any]) -> str:
    """One record as one line; fixed separators and key order make reruns byte-identical."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def check_writable(path: str) -> None:
    """Fail before any work when the output cannot be created (raises OSError, or MissingBackend for a URL
    whose backend is not installed)."""
    if is_url(path):
        storage.check_writable(path)
    elif _is_special(path):
        return
    else:
        folder = Path(path).resolve().parent
        if not folder.is_dir():
            raise FileNotFoundError(f"no such folder: {folder}")
        if not os.access(folder, os.W_OK):
            raise PermissionError(f"cannot write in {folder}")
    if path.lower().endswith(".zst"):
        try:
            import zstandard  # noqa: F401 - the optional "zstd" extra
        except ImportError:
            raise OSError(f"{path}: writing .zst needs the zstd extra: "
                          "pip install -e '.[zstd]' in the checkout") from None


def _new_file_mode(target: str) -> int:
    """The mode the output gets: the file's it replaces, or what the umask gives a new file."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _is_special(path: str) -> bool:
    """A FIFO, device or socket: written to in place (``-o /dev/null``), never replaced."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode) and not stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def locked_temporary(target: Path, directory: bool = False) -> tuple[str, int, int | None]:
    """A new temporary ``.NAME.XXXX.part`` (file or folder) beside ``target``, locked (``flock``) until the
    caller closes the returned lock descriptor: (path, fd of the file or -1, lock fd). It is locked under
    another name (``.part.new``) and only then renamed, so :func:`remove_dead_parts` never sees it unlocked.
    Leftovers of runs that died first are removed here (:func:`remove_dead_parts`)."""
    folder, name = target.parent, target.name
    remove_dead_parts(folder, name)
    if directory:
        made, fd = tempfile.mkdtemp(prefix=f".{name}.", suffix=".part.new", dir=folder), -1
    else:
        fd, made = tempfile.mkstemp(prefix=f".{name}.", suffix=".part.new", dir=folder)
    lock: int | None = os.open(made, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # type: ignore[arg-type]
    except OSError:  # a filesystem without locks: the part is still ours, only not protected from a sweep
        os.close(lock)  # type: ignore[arg-type]
        lock = None
    final = made[: -len(".new")]
    os.rename(made, final)
    return final, fd, lock


def remove_dead_parts(folder: Path, name: str) -> list[Path]:
    """Remove the ``.NAME.*.part`` files and folders that runs killed outright (SIGKILL, a power cut) left
    beside ``folder/NAME``. A live run holds a lock on each of its own until it renames or removes it, so
    only parts whose lock can be taken are removed; returns them."""
    removed = []
    for part in Path(folder).glob(f".{glob.escape(name)}.*.part"):
        try:
            fd = os.open(part, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: a live run's
            os.close(fd)
            continue
        try:
            if part.is_dir() and not part.is_symlink():
                shutil.rmtree(part, ignore_errors=True)
            else:
                part.unlink(missing_ok=True)
            removed.append(part)
        finally:
            os.close(fd)
    return removed


def release(lock: int | None) -> None:
    if lock is not None:
        with suppress(OSError):
            os.close(lock)


class StagedFile:
    """One output under a temporary name beside its target, compressed as the target's name says.

    A symbolic link is followed (the file it points to is replaced, the link stays); a FIFO or a
    device is written to directly, since it cannot be replaced and holds nothing to protect.
    """

    def __init__(self, path: str, binary: bool = False) -> None:
        self._raw = self._open(path)
        self._compressor: Any = None
        self.binary: IO[bytes] = self._raw  # binary=True: the caller writes bytes here (Parquet)
        self.handle: IO[str] | None = None
        self._closed = False
        if binary:
            return
        lowered = path.lower()
        if lowered.endswith(".gz"):  # no name and no time in the header: reruns stay byte-identical
            self._compressor = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0)
        elif lowered.endswith(".zst"):
            import zstandard

            self._compressor = zstandard.ZstdCompressor().stream_writer(self._raw, closefd=False)
        stream = self._compressor if self._compressor is not None else self._raw
        self.handle = io.TextIOWrapper(stream, encoding="utf-8", newline="\n")

    _lock: int | None = None

    def _open(self, path: str) -> IO[bytes]:
        """The file the bytes go to: a temporary one beside the target, locked while this run holds it (or
        the FIFO or device itself)."""
        self.path = os.path.realpath(path) if os.path.islink(path) else path
        self.direct = _is_special(self.path)
        if self.direct:
            self.tmp = ""
            return open(self.path, "wb")  # noqa: SIM115 - closed by finish/discard
        target = Path(self.path).resolve().parent / Path(self.path).name
        self.tmp, fd, self._lock = locked_temporary(target)
        os.fchmod(fd, _new_file_mode(self.path))
        return os.fdopen(fd, "wb")

    def finish(self) -> None:
        """Flush, end the compressed stream and fsync: the bytes are on disk, not yet under the name."""
        if self.handle is not None:
            self.handle.flush()
            self.handle.detach()
        if self._compressor is not None:
            self._compressor.close()
        self._raw.flush()
        if not self.direct:
            os.fsync(self._raw.fileno())
        self._raw.close()
        self._closed = True

    def publish(self) -> None:
        if not self.direct:
            os.replace(self.tmp, self.path)
        release(self._lock)
        self._lock = None

    def discard(self) -> None:
        if not self._closed:
            with suppress(OSError):
                self._raw.close()
        if not self.direct:
            Path(self.tmp).unlink(missing_ok=True)
        release(self._lock)
        self._lock = None


class Staged(Protocol):
    def finish(self) -> None: ...

    def publish(self) -> None: ...

    def discard(self) -> None: ...


class UploadedFile(StagedFile):
    """An output at a URL (``-o s3://bucket/key``): written to a local temporary file, uploaded as one object
    at publish, so nothing appears at the URL unless the run ends well."""

    def _open(self, path: str) -> IO[bytes]:
        self.path, self.direct = path, False
        fd, self.tmp = tempfile.mkstemp(prefix=".newsclean-upload.", suffix=".part")
        return os.fdopen(fd, "wb")

    def publish(self) -> None:
        storage.upload(self.tmp, self.path)
        Path(self.tmp).unlink(missing_ok=True)


class StagedOutputs:
    """A run's output files: all written, then (after the state commit) all renamed into place."""

    def __init__(self) -> None:
        self._files: list[Staged] = []
        self._published = False

    def open(self, path: str) -> IO[str]:
        staged = UploadedFile(path) if is_url(path) else StagedFile(path)
        self._files.append(staged)
        assert staged.handle is not None
        return staged.handle

    def add(self, staged: Staged) -> Staged:
        """Another kind of staged output (a Parquet file, a partitioned directory: corpus.outputs.sinks)."""
        self._files.append(staged)
        return staged

    def finish(self) -> None:
        for staged in self._files:
            staged.finish()

    def publish(self) -> None:
        for staged in self._files:
            staged.publish()
        self._published = True

    def discard(self) -> None:
        """Remove whatever was not published (called however the run ends)."""
        if not self._published:
            for staged in self._files:
                staged.discard()


@contextmanager
def atomic_output(path: str) -> Iterator[IO[str]]:
    """A file that appears at ``path`` only when the block ends without an error."""
    outputs = StagedOutputs()
    try:
        handle = outputs.open(path)
        yield handle
        outputs.finish()
        outputs.publish()
    finally:
        outputs.discard()


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str], flush_each: bool = False) -> int:
    """Write each record as it comes (``flush_each``: pass it on at once); returns how many."""
    count = 0
    for record in records:
        out.write(dumps(record) + "\n")
        if flush_each:
            out.flush()
        count += 1
    return count
