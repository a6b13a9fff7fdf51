"""The per-document stages as one function a worker runs: extract, clean, language, signature.

Everything here depends on one document only, so it runs in worker processes (see
``corpus.run.workers``); ``pipeline.Ingest`` routes what comes back. A time limit guards each
document, and libraries are loaded (``warm_up``) before any timer can fire.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

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
    spool: str  # the Document as one JSON line
    signature: Signature | None
    line_keys: np.ndarray
    site_keys: np.ndarray  # its host's story counter, then its lines' keys for that host (empty: no site)
    title_key: int = 0  # its title's key, for links to it from other stories (corpus.clean.learned)
    removable: np.ndarray = field(default_factory=lambda: NO_KEYS)  # see corpus.clean.document_keys.doc_keys
    line_titles: np.ndarray = field(default_factory=lambda: NO_KEYS)  # title keys its lines could link by
    site_templates: np.ndarray = field(default_factory=lambda: NO_KEYS)  # its open lines' site templates (doc_keys)
    story_key: int = 0  # a key of its story lines (corpus.dedup.story.hash_and_sign): unchanged, they keep a signature


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
    doc.find_site()
    hashed, signed, story = hash_and_sign(doc.text, params)
    if rehash:
        doc.text_hash = hashed
    return Processed(doc.id, doc.source.location, doc.source.path, doc.lang, not doc.text.strip(),
                     json.dumps(doc.to_spool(), ensure_ascii=False), signed, *doc_keys(doc), story_key=story)


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
    doc = detect_language(clean(extract(raw), skip), lang_backend)
    doc.text = one_paragraph_per_line(doc.text)
    return handed_back(doc, params, rehash=True)


def process_safely(raw: RawInput, params: MinHashParams, timeout: float,
                   lang_backend: str = "langdetect", skip: frozenset[str] = frozenset()) -> Processed | Reject:
    """:func:`process` under a time limit; any failure becomes a Reject instead of ending the run."""
    global _armed
    # a timer needs the main thread (signals go there): a Dask worker's task thread runs without one
    timed = timeout > 0 and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    try:
        try:
            if raw.kind == "html":
                warm_extractor()  # before its timer
            if timed:
                signal.signal(signal.SIGALRM, _on_alarm)
                _armed = True
                signal.setitimer(signal.ITIMER_REAL, timeout)
            return process(raw, params, lang_backend, skip)
        finally:
            _armed = False
            if timed:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except DocumentTimeout:
        return Reject(raw.source.location, "timeout", f"took longer than --timeout {timeout:g} s", raw.source.path)
    except RecursionError:
        return Reject(raw.source.location, "malformed", "markup nested too deeply to parse", raw.source.path)
    except PageTooLarge as err:
        return Reject(raw.source.location, "too-large", str(err), raw.source.path)
    except MemoryError as err:
        return Reject(raw.source.location, "too-large", describe(err), raw.source.path)
    except Exception as err:  # noqa: BLE001 - one bad page must not end a night's run
        return Reject(raw.source.location, "error", describe(err), raw.source.path)


Job = tuple[Path, Path] | RawInput | Reject  # a file for the worker to read, a container's record, or a reject


def read_and_process(args: tuple[Job, IngestOptions]) -> Processed | Reject:
    job, options = args
    raw = read_file(*job, options.max_bytes) if isinstance(job, tuple) else job
    if isinstance(raw, Reject):
        return raw
    return process_safely(raw, options.minhash, options.timeout, options.lang_backend, options.skip_rules)


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
    """Every job in this process, in order; a failure past process_safely's own net is a reject."""
    for job in jobs:
        try:
            yield read_and_process(job)
        except (Exception, DocumentTimeout) as err:  # noqa: BLE001 - past process_safely's own net
            yield failed(job, err)
