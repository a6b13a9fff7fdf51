"""The per-document stages as one function a worker runs: extract, clean, language, signature.

Everything here depends on one document only, so it runs in worker processes (see
``corpus.run.workers``); ``pipeline.Ingest`` routes what comes back. A time limit guards each
document, and libraries are loaded (``warm_up``) before any timer can fire.
"""

from __future__ import annotations

import signal
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from corpus.clean.cleaner import clean
from corpus.clean.document_keys import NO_KEYS, doc_keys
from corpus.dedup.minhash import MinHashParams, Signature
from corpus.dedup.story import hash_and_sign
from corpus.document import Document, Reject, Source
from corpus.extract.page import PageTooLarge, extract
from corpus.inputs.files import RawInput, read_file, relative_path
from corpus.inputs.streams import describe
from corpus.language import detect_language
from corpus.signals import signals_held
from corpus.text import forget_word_counts

if TYPE_CHECKING:
    from corpus.run.options import IngestOptions


@dataclass
class Processed:
    """A document as a worker hands it back: already serialised, with what the main process needs.

    The main process only routes: it writes ``spool`` as it is, adds the signature to the
    dedup index and the line keys (run-wide and per site) to the repeated-line sketch, so its own work per
    document stays small and the workers keep the cores busy.
    """

    id: str
    path: str  # for rejects: the document ("file@offset" inside a WARC)
    input: str  # the input file it came from
    lang: str | None
    empty: bool
    spool: bytes  # the Document, spooled (Document.spooled)
    signature: Signature | None
    line_keys: np.ndarray
    site_keys: np.ndarray  # its host's story counter, then its lines' keys for that host (empty: no site)
    title_key: int = 0  # its title's key, for links to it from other stories (corpus.clean.learned)
    removable: np.ndarray = field(default_factory=lambda: NO_KEYS)  # see corpus.clean.document_keys.doc_keys
    line_titles: np.ndarray = field(default_factory=lambda: NO_KEYS)  # title keys its lines could link by
    site_templates: np.ndarray = field(default_factory=lambda: NO_KEYS)  # its open lines' site templates (doc_keys)
    keys_by_line: np.ndarray = field(default_factory=lambda: NO_KEYS)  # its lines' keys, in order (doc_keys)
    story_key: int = 0  # a key of its story lines (corpus.dedup.story.hash_and_sign): unchanged, they keep a signature
    line_words: bytes = b""  # its lines' words (corpus.dedup.story.Hashed.words), for the second pass's signing
    line_marks: bytes = b""  # ...and their story marks (Hashed.marks, an array("Q"))


class DocumentTimeout(BaseException):
    """Raised by the timer; a BaseException so that libraries' ``except Exception`` let it through."""


_armed = False  # the timer raises only while a document is being processed, never in the code around it


def _on_alarm(signum: int, frame: object) -> None:
    if _armed:
        raise DocumentTimeout


def warm_up(lang_backend: str = "langdetect") -> None:
    """Load what the libraries load lazily (language profiles, the rules) before any timer runs: a timeout
    that fired inside that loading would leave the library broken for the process. Ctrl-C and SIGTERM wait
    until it is done (langdetect turns an interrupt there into a "Profile format error"); they are delivered
    right after. The extractor's modules load on the first page (:func:`warm_extractor`).

    Once per process and detector: what it loads stays loaded (and a forked worker inherits it), and
    the warm-up text costs milliseconds, which every run in a long-lived process (a library user, a
    Dask task) would pay again."""
    if lang_backend in _warmed:
        return
    with _WARMING:  # a Dask worker's threads: one warms up, the others wait for it
        if lang_backend in _warmed:
            return
        with signals_held():
            detect_language(clean(extract(RawInput("warm-up", Source("warm-up", "", None, None, "text"),
                                                   _WARM_UP_TEXT, "text"))), lang_backend)
        _warmed.add(lang_backend)


def warm_extractor() -> None:
    """trafilatura's modules and what the HTML path loads lazily, once per process, before the first page's
    timer (as :func:`warm_up`, and for the same reason). A run of plain text never loads them: 500 plain-text
    documents took 1.98 -> 1.87 s with one worker, 1.43 -> 1.34 s with two, whose largest was 12 MiB smaller."""
    global _extractor_warm
    if _extractor_warm:
        return
    with _WARMING_EXTRACTOR:  # a Dask worker's threads: one warms up (and swaps in the cheaper XPaths), the others wait
        if not _extractor_warm:
            with signals_held():
                extract(RawInput("warm-up", Source("warm-up", "", None, None, "html"), _WARM_UP_PAGE, "html"))
            _extractor_warm = True


_warmed: set[str] = set()
_WARMING = threading.Lock()
_extractor_warm = False
_WARMING_EXTRACTOR = threading.Lock()

_WARM_UP_TEXT = (b"A short paragraph of plain English text, long enough for the cleaner and the language detector to "
                 b"load everything they need.")
_WARM_UP_PAGE = (b"<html><head><title>Warm up</title></head><body><article><p>A short paragraph of plain English "
                 b"text, long enough for the extractor to load everything it needs.</p></article></body></html>")


def handed_back(doc: Document, params: MinHashParams, rehash: bool = False) -> Processed:
    """A finished document in the shape the main process routes (serialised, signed on its story's
    lines, line keys); a document without a url takes its site from its path here. ``rehash``: its
    text is new (a record read back keeps the hash it came with)."""
    return _serialised(_keyed(_sign(doc, params, rehash)))


@dataclass
class _Signed:
    """A document on its way to being handed back: signed, then keyed (stages of their own in a batch)."""

    doc: Document
    signature: Signature | None
    story_key: int
    line_words: bytes
    line_marks: list[int]
    keys: tuple[np.ndarray, ...] = ()


def _sign(doc: Document, params: MinHashParams, rehash: bool) -> _Signed:
    doc.find_site()
    hashed = hash_and_sign(doc.text, params)
    if rehash:
        doc.text_hash = hashed.text_hash
    return _Signed(doc, hashed.signature, hashed.story_key, hashed.words, hashed.marks)


def _keyed(signed: _Signed) -> _Signed:
    signed.keys = doc_keys(signed.doc)
    return signed


def _serialised(signed: _Signed) -> Processed:
    doc = signed.doc
    return Processed(doc.id, doc.source.location, doc.source.path, doc.lang, not doc.text.strip(),
                     doc.spooled(), signed.signature, *signed.keys,
                     story_key=signed.story_key, line_words=signed.line_words,
                     line_marks=array("Q", signed.line_marks).tobytes())


def from_record(where: str, record: dict, params: MinHashParams) -> Processed | Reject:
    """A record written by newsclean (``newsclean dedup``), read back and signed as ``handed_back`` signs; a
    record that is not one is a reject of its location."""
    try:
        doc = Document.from_record(record)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        return Reject(where, "malformed", f"not a newsclean record ({type(err).__name__}: {err})",
                      where.rsplit(":", 1)[0])
    return handed_back(doc, params)


def one_paragraph_per_line(text: str) -> str:
    """Every kind of input leaves with the same layout: a paragraph per line, no blank lines."""
    return "\n".join(line for line in text.split("\n") if line.strip())


def process(raw: RawInput, params: MinHashParams, lang_backend: str = "langdetect",
            skip: frozenset[str] = frozenset()) -> Processed:
    """Everything that needs only the one document: runs in a worker process."""
    forget_word_counts()
    value: object = raw
    for stage in STAGES:
        value = stage(value, params, lang_backend, skip)
    return value  # type: ignore[return-value] - the last stage hands back a Processed


def _extracted(raw: RawInput, _params: MinHashParams, _lang_backend: str, _skip: frozenset[str]) -> Document:
    return extract(raw)


def _cleaned(doc: Document, _params: MinHashParams, _lang_backend: str, skip: frozenset[str]) -> Document:
    return clean(doc, skip)


def _tagged(doc: Document, _params: MinHashParams, lang_backend: str, _skip: frozenset[str]) -> Document:
    doc = detect_language(doc, lang_backend)
    doc.text = one_paragraph_per_line(doc.text)
    return doc


def _signed(doc: Document, params: MinHashParams, _lang_backend: str, _skip: frozenset[str]) -> _Signed:
    return _sign(doc, params, rehash=True)


def _with_keys(signed: _Signed, _params: MinHashParams, _lang_backend: str, _skip: frozenset[str]) -> _Signed:
    return _keyed(signed)


def _handed(signed: _Signed, _params: MinHashParams, _lang_backend: str, _skip: frozenset[str]) -> Processed:
    return _serialised(signed)


STAGES: tuple[Callable[[Any, MinHashParams, str, frozenset[str]], Any], ...] = (
    _extracted, _cleaned, _tagged, _signed, _with_keys, _handed)
"""What :func:`process` does to a document, in order: a stage takes what the one before gave. Signing, the
keys and the serialising are three (:func:`handed_back` does all three): in a batch, three stages took 3.9 %
less time a plain-text document than one."""

BATCH_DOCUMENTS = 32
"""Documents that go through the stages together (:func:`process_batch`): each stage runs over all of them
before the next starts, so its code and tables stay in the processor's caches. One document through every
stage, then the next, left each stage to find them evicted by the others: 32 at a time took a plain-text
document 2,169 -> 2,001 us and an HTML page 9,986 -> 9,301 (thirteenth session). Past 32 it gives little."""
BATCH_BYTES = 4 << 20
"""...and at most this many bytes of input at once (a document larger than this goes alone), so that a
worker holds a few pages, not 32 of ``--max-bytes``."""


def process_batch(raws: Sequence[RawInput], params: MinHashParams, timeout: float,
                  lang_backend: str = "langdetect", skip: frozenset[str] = frozenset()) -> list[Processed | Reject]:
    """:func:`process` for each of ``raws``, a stage at a time over all of them (see ``BATCH_DOCUMENTS``),
    each document under its own time limit: ``timeout`` seconds over all its stages. A document that fails
    or runs out of time becomes a Reject and leaves the batch; the others go on."""
    global _armed
    # a timer needs the main thread (signals go there): a Dask worker's task thread runs without one
    timed = timeout > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if timed:
        signal.signal(signal.SIGALRM, _on_alarm)
    forget_word_counts()
    values: list[Any] = list(raws)
    outcomes: list[Processed | Reject | None] = [None] * len(raws)
    left = [timeout] * len(raws)  # the seconds each document may still take
    for stage in STAGES:
        for i, raw in enumerate(raws):
            if outcomes[i] is not None:
                continue
            try:
                if stage is _extracted and raw.kind == "html":
                    warm_extractor()  # before its timer
                started = time.perf_counter()
                try:
                    if timed:
                        _armed = True
                        signal.setitimer(signal.ITIMER_REAL, left[i])
                    values[i] = stage(values[i], params, lang_backend, skip)
                finally:
                    _armed = False
                    if timed:
                        signal.setitimer(signal.ITIMER_REAL, 0)
            except BaseException as err:  # noqa: BLE001 - what a document's failure is, _rejected says
                outcomes[i] = _rejected(raw, err, timeout)
                continue
            left[i] -= time.perf_counter() - started
            if timed and left[i] <= 0:  # done just as its time ran out: a timer of 0 would never fire
                outcomes[i] = _rejected(raw, DocumentTimeout(), timeout)
    return [outcome if outcome is not None else value for outcome, value in zip(outcomes, values, strict=True)]


def _rejected(raw: RawInput, err: BaseException, timeout: float) -> Reject:
    """The Reject for a document whose stage raised ``err``; raises again what is the run's, not the document's
    (Ctrl-C, SIGTERM's exit)."""
    where, source = raw.source.location, raw.source.path
    if isinstance(err, DocumentTimeout):
        return Reject(where, "timeout", f"took longer than --timeout {timeout:g} s", source)
    if isinstance(err, RecursionError):
        return Reject(where, "malformed", "markup nested too deeply to parse", source)
    if isinstance(err, PageTooLarge):
        return Reject(where, "too-large", str(err), source)
    if isinstance(err, MemoryError):
        return Reject(where, "too-large", describe(err), source)
    if isinstance(err, Exception):  # one bad page must not end a night's run
        return Reject(where, "error", describe(err), source)
    raise err


def process_safely(raw: RawInput, params: MinHashParams, timeout: float,
                   lang_backend: str = "langdetect", skip: frozenset[str] = frozenset()) -> Processed | Reject:
    """:func:`process` under a time limit; any failure becomes a Reject instead of ending the run."""
    return process_batch([raw], params, timeout, lang_backend, skip)[0]


Job = tuple[Path, Path] | RawInput | Reject  # a file for the worker to read, a container's record, or a reject


def read_and_process(args: tuple[Job, IngestOptions]) -> Processed | Reject:
    """One job read and processed: what a job run alone (to find the one that kills a worker) gives."""
    return read_and_process_many([args])[0]


def read_and_process_many(jobs: list[tuple[Job, IngestOptions]]) -> list[Processed | Reject]:
    """The jobs a worker gets in one message, read and processed in batches (:func:`process_batch`)."""
    return list(run_alone(jobs))


def in_batches(items: Iterable[tuple[Any, IngestOptions]]) -> Iterator[Any]:
    """Each RawInput of ``items`` processed, in batches of at most ``BATCH_DOCUMENTS`` documents and
    ``BATCH_BYTES`` bytes (read lazily: a batch is processed before more is read), anything else passed on
    as it is; in order. With ``--stream``, one document at a time: its record is not to wait for the next
    input, which may be a while coming on a pipe."""
    batch: list[RawInput] = []
    held: list[Any] = []  # what came since the batch began, in order
    size, settings = 0, None

    def flush() -> Iterator[Any]:
        nonlocal size
        done = iter(_processed_or_failed(batch, settings)) if batch else iter(())
        yield from (next(done) if isinstance(item, RawInput) else item for item in held)
        batch.clear()
        held.clear()
        size = 0

    for item, options in items:
        if isinstance(item, RawInput):
            if batch and (size + len(item.data) > BATCH_BYTES or options is not settings):
                yield from flush()
            batch.append(item)
            size += len(item.data)
            settings = options
        held.append(item)
        if len(batch) >= BATCH_DOCUMENTS or options.stream:  # a stream's record goes out before more is read
            yield from flush()
    yield from flush()


def _processed_or_failed(batch: list[RawInput], options: IngestOptions) -> list[Processed | Reject]:
    """:func:`process_batch`; past its own net, each document again alone, so that only the one that fails is a
    reject."""
    try:
        return process_batch(batch, options.minhash, options.timeout, options.lang_backend, options.skip_rules)
    except (Exception, DocumentTimeout) as err:  # noqa: BLE001 - past process_batch's own net
        if len(batch) > 1:
            return [done for raw in batch for done in _processed_or_failed([raw], options)]
        return [failed((batch[0], options), err)]


def _read(jobs: Iterable[tuple[Job, IngestOptions]]) -> Iterator[tuple[RawInput | Reject, IngestOptions]]:
    for job, options in jobs:
        try:
            yield (read_file(*job, options.max_bytes) if isinstance(job, tuple) else job), options
        except (Exception, DocumentTimeout) as err:  # noqa: BLE001 - past read_file's own net
            yield failed((job, options), err), options


def _job_location(args: tuple[Job, IngestOptions]) -> tuple[str, str]:
    """(where, input file) of a job, for a reject made outside the worker."""
    job = args[0]
    if isinstance(job, tuple):
        rel = relative_path(*job)
        return rel, rel
    if isinstance(job, Reject):
        return job.path, job.input
    return job.source.location, job.source.path


def died(args: tuple[Job, IngestOptions]) -> Reject:
    where, source = _job_location(args)
    return Reject(where, "crashed", "the worker process died while processing it (a crash, or killed by the "
                  "system, e.g. for memory); a new worker took over", source)


def failed(args: tuple[Job, IngestOptions], err: BaseException) -> Reject:
    where, source = _job_location(args)
    if isinstance(err, DocumentTimeout):
        return Reject(where, "timeout", f"took longer than --timeout {args[1].timeout:g} s", source)
    return Reject(where, "error", describe(err), source)


def run_alone(jobs: Iterable[tuple[Job, IngestOptions]]) -> Iterator[Processed | Reject]:
    """Every job in this process, in order, in batches (:func:`in_batches`)."""
    return in_batches(_read(jobs))
