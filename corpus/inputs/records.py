"""Stage 1, the reader: every input a run names (files, folders, path lists on stdin, URLs) as
documents, rejects and skips, in order. One-document files are read by :mod:`corpus.inputs.files`,
containers streamed by :mod:`corpus.inputs.streams`, objects in a store by :mod:`corpus.inputs.objects`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from corpus.document import Reject
from corpus.inputs.files import (
    DEFAULT_MAX_BYTES,
    RawInput,
    check_readable,
    classify,
    read_file,
    relative_path,
    shown,
    walk,
)
from corpus.inputs.stdin import stdin_lines
from corpus.inputs.storage import RemoteFile, check_backend, is_url
from corpus.inputs.streams import (
    Skip,
    _jsonl_file,
    bounded_lines,
    describe,
    json_lines,
    jsonl_records,
    open_stream,
    streamed,
    warc_records,
)

PATH_LINE_LIMIT = 64 * 1024  # a line of a path list longer than this is not a path
STDIN_RECORDS = "\0stdin-jsonl"  # a PATH that means: JSONL records on standard input


def read_inputs(paths: Iterable[str | Reject], max_bytes: int = DEFAULT_MAX_BYTES, *, defer_files: bool = False,
                on_file: Callable[[str, Path | RemoteFile | None], None] | None = None, base: Path | None = None,
                exclude: Iterable[str] = (), units: bool = False,
                ) -> Iterator[RawInput | Reject | Skip | tuple[Path, Path]]:
    """The reader stage: every input under ``paths`` as documents, rejects and skips, in order.

    One-document files (HTML, text) are read here, or with ``defer_files`` handed on as
    (path, root) for a worker to read with :func:`corpus.inputs.files.read_file`; WARC and JSONL
    files are always streamed here. ``on_file`` hears of every input file (rel, path).
    With ``base`` (the PATH arguments' common folder) paths are shown relative to it, or,
    when outside it (listed on stdin), relative to the working folder or absolute; without
    it, relative to the PATH argument they were found under. ``exclude``: the run's own output
    files, never read as input, nor their temporary ``.NAME.*.part`` files. ``units``: nothing is
    read here; containers and objects are handed on as work descriptions (:mod:`corpus.inputs.units`)
    for the workers to read (``defer_files`` is implied).
    """
    notify = on_file or (lambda rel, path: None)
    is_own = own_outputs(exclude)
    for arg in paths:
        if isinstance(arg, Reject):  # a path list that turned out not to be one
            notify(arg.path, None)
            yield arg
            continue
        if arg == STDIN_RECORDS:
            notify("<stdin>", None)
            yield from jsonl_records(stdin_lines(), "<stdin>", "<stdin>", "jsonl", max_bytes)  # type: ignore[arg-type]
            continue
        if is_url(arg):  # an object store: the same kinds and rules, read through fsspec
            from corpus.inputs.objects import url_inputs

            try:  # a listed URL of a scheme with no backend (gs://, hdfs://, zip://) is one reject, not the run's end
                check_backend(arg)
            except Exception as err:  # noqa: BLE001 - MissingBackend, or whatever the backend raised
                notify(arg, None)
                yield Reject(arg, "unreadable", describe(err))
                continue
            yield from url_inputs(arg, max_bytes, notify, exclude, units=units)
            continue
        for path, found_under in walk([arg]):
            if is_own(path):
                continue
            root = found_under if base is None else base if _is_under(path, base) else Path.cwd()
            kind, compression = classify(path)
            rel = relative_path(path, root)
            notify(rel, path)
            if kind not in ("warc", "jsonl"):
                yield (path, root) if defer_files or units else read_file(path, root, max_bytes)
            elif (problem := check_readable(path, rel, kind, compression)) is not None:
                yield problem
            elif units:
                from corpus.inputs.work import Container

                yield Container(str(path), rel, shown(os.path.abspath(path)), kind, compression, path.stat().st_size)
            elif kind == "warc":
                yield from warc_records(path, rel, shown(os.path.abspath(path)), max_bytes)
            else:
                yield from _jsonl_file(path, rel, compression, max_bytes)


def own_outputs(outputs: Iterable[str]) -> Callable[[Path], bool]:
    """Whether a path is one of a run's own outputs or their temporary ``.NAME.*.part`` files."""
    targets = {os.path.realpath(p) for p in outputs}
    temporary = {(os.path.dirname(t), f".{os.path.basename(t)}.") for t in targets}

    def is_own(path: Path) -> bool:
        if not targets:
            return False
        real = os.path.realpath(path)
        return real in targets or path.name.endswith(".part") and any(
            os.path.dirname(real) == folder and path.name.startswith(prefix) for folder, prefix in temporary)

    return is_own


def _is_under(path: Path, base: Path) -> bool:
    return os.path.abspath(path).startswith(os.path.join(os.path.abspath(base), ""))


def path_list(stream: IO[bytes], name: str = "<stdin>") -> Iterator[str | Reject]:
    """The paths of a list, one per line (``find … | newsclean ingest -``). Lines are bytes until
    decoded the way the system decodes file names, so any name works; CR LF endings are fine. A
    line too long to be a path means the stream is not a list: one reject, and the rest is left."""
    for number, line in bounded_lines(stream, PATH_LINE_LIMIT):
        if line is None:
            yield Reject(name, "malformed", f"line {number} is over {PATH_LINE_LIMIT} bytes: not a list of paths "
                         "(records on stdin need --stdin-format jsonl)")
            return
        path = line.rstrip(b"\r\n")
        if path.strip():
            yield os.fsdecode(path)


def newsclean_records(source: str, max_bytes: int) -> Iterator[tuple[str, dict[str, Any]] | Reject]:
    """Records written by newsclean (``newsclean dedup``), as (location, record), from a file (maybe
    compressed) or "-"; a line that is not one is a reject with its line number, never the end of the run."""
    if source == "-":
        yield from _records_in(sys.stdin.buffer, "<stdin>", max_bytes)
        return
    if is_url(source):
        from corpus.inputs.objects import url_records

        yield from url_records(source, max_bytes, _records_in)
        return
    path = Path(source)
    rel = path.name
    kind, compression = classify(path)
    problem = check_readable(path, rel, kind or "jsonl", compression)
    if problem is not None:
        yield problem
        return
    yield from streamed(lambda: open_stream(path, compression), rel, lambda stream: _records_in(stream, rel, max_bytes))


def _records_in(stream: IO[bytes], name: str, max_bytes: int) -> Iterator[tuple[str, dict[str, Any]] | Reject]:
    for item in json_lines(stream, name, max_bytes):
        if isinstance(item, Reject):
            yield item
            continue
        number, where, _, record = item
        if not isinstance(record, dict) or not isinstance(record.get("text"), str) \
                or not isinstance(record.get("provenance"), dict):
            yield Reject(where, "malformed", f"line {number}: not a newsclean record (needs text and provenance)",
                         name)
            continue
        yield where, record
