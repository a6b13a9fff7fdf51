"""newsclean's library: clean, language-tag and deduplicate news, one package per stage.

The data flows down this list, each stage using only those above it::

    document, identity, limits   the Document record and what every stage shares
    inputs/    files, folders, WARC, crawler JSONL, path lists, URLs  ->  RawInput
    extract/   HTML -> text, title, author, date (trafilatura, its cheaper XPaths)
    clean/     boilerplate rules (data, per language) and corpus evidence (repeated lines)
    language   language detection (langdetect or py3langid)
    dedup/     MinHash signatures, the band index, the state of earlier nights
    outputs/   JSONL, Parquet, partitioned folders, the run manifest
    run/       options, the per-document process, executors (local pool, Dask), the pipeline
    report/    what a run wrote, read back: report, HTML page, explain

This module is the library's face: the names a Python caller, a Dask task or the command line
needs, imported on first use (names that would shadow a stage's package say what they take:
``extract_page``, ``clean_document``) (``import corpus`` costs nothing; ``newsclean --version`` stays fast).

    >>> from corpus import Ingest, IngestOptions
    >>> run = Ingest(IngestOptions(workers=2))
    >>> for record in run.records(["crawl/"]): ...
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from corpus.version import __version__

# name -> (module, attribute): what the face offers, grouped by stage.
_FACE: dict[str, tuple[str, str]] = {
    # the record and what every stage shares
    "Document": ("corpus.document", "Document"),
    "Reject": ("corpus.document", "Reject"),
    "Removal": ("corpus.document", "Removal"),
    "Source": ("corpus.document", "Source"),
    "DEFAULT_MAX_BYTES": ("corpus.limits", "DEFAULT_MAX_BYTES"),
    "DEFAULT_TIMEOUT": ("corpus.limits", "DEFAULT_TIMEOUT"),
    "MAX_BYTES_CAP": ("corpus.limits", "MAX_BYTES_CAP"),
    "MAX_TIMEOUT": ("corpus.limits", "MAX_TIMEOUT"),
    "signals_held": ("corpus.signals", "signals_held"),
    "Stopped": ("corpus.signals", "Stopped"),
    "stop": ("corpus.signals", "stop"),
    "raise_if_stopped": ("corpus.signals", "raise_if_stopped"),
    "forget_stops": ("corpus.signals", "forget_stops"),
    # inputs
    "RawInput": ("corpus.inputs.files", "RawInput"),
    "common_base": ("corpus.inputs.files", "common_base"),
    "walk": ("corpus.inputs.files", "walk"),
    "read_inputs": ("corpus.inputs.records", "read_inputs"),
    "path_list": ("corpus.inputs.records", "path_list"),
    "newsclean_records": ("corpus.inputs.records", "newsclean_records"),
    "own_outputs": ("corpus.inputs.records", "own_outputs"),
    "STDIN_RECORDS": ("corpus.inputs.records", "STDIN_RECORDS"),
    "describe": ("corpus.inputs.streams", "describe"),
    "stdin_lines": ("corpus.inputs.stdin", "stdin_lines"),
    "MissingBackend": ("corpus.inputs.storage", "MissingBackend"),
    "check_backend": ("corpus.inputs.storage", "check_backend"),
    "is_url": ("corpus.inputs.storage", "is_url"),
    "local": ("corpus.inputs.storage", "local"),
    "with_roots": ("corpus.inputs.storage", "with_roots"),
    # extract, clean, language
    "extract_page": ("corpus.extract.page", "extract"),
    "clean_document": ("corpus.clean.cleaner", "clean"),
    "clean_text": ("corpus.clean.cleaner", "clean_text"),
    "ALL_RULES": ("corpus.clean.rules", "ALL_RULES"),
    "RULE_NAMES": ("corpus.clean.rules", "RULE_NAMES"),
    "STRUCTURAL_RULES": ("corpus.clean.rules", "STRUCTURAL_RULES"),
    "REPEATED_LINE_MIN_GROUPS": ("corpus.clean.rules", "REPEATED_LINE_MIN_GROUPS"),
    "languages_of": ("corpus.clean.rules", "languages_of"),
    "language_table": ("corpus.clean.rules", "language_table"),
    "KIND_RULES": ("corpus.clean.rules", "KIND_RULES"),
    "rules_fingerprint": ("corpus.clean.rules", "rules_fingerprint"),
    "BACKENDS": ("corpus.language", "BACKENDS"),
    "backend_available": ("corpus.language", "backend_available"),
    "detect_language": ("corpus.language", "detect_language"),
    "expand_languages": ("corpus.language", "expand_languages"),
    # dedup and the state
    "MinHashParams": ("corpus.dedup.minhash", "MinHashParams"),
    "Deduplicator": ("corpus.dedup.deduplicator", "Deduplicator"),
    "signature": ("corpus.dedup.minhash", "signature"),
    "StateError": ("corpus.dedup.state", "StateError"),
    "StateIndex": ("corpus.dedup.state", "StateIndex"),
    "integrity_problem": ("corpus.dedup.state", "integrity_problem"),
    "locked": ("corpus.dedup.state", "locked"),
    "stored_params": ("corpus.dedup.state", "stored_params"),
    "utc_instant": ("corpus.dedup.state", "utc_instant"),
    "ParquetState": ("corpus.dedup.parquet_state", "ParquetState"),
    "copy_state": ("corpus.dedup.state_kinds", "copy_state"),
    "import_state": ("corpus.dedup.state_kinds", "import_state"),
    "is_parquet_state": ("corpus.dedup.parquet_state", "is_parquet_state"),
    "PARQUET_STATE_META": ("corpus.dedup.parquet_state", "META"),
    "open_existing_state": ("corpus.dedup.state_kinds", "open_existing_state"),
    "state_lock": ("corpus.dedup.state_kinds", "state_lock"),
    "unlock_state": ("corpus.dedup.state_kinds", "unlock_state"),
    "state_refusal": ("corpus.dedup.parquet_state", "state_refusal"),
    # outputs
    "JsonlOut": ("corpus.outputs.sinks", "JsonlOut"),
    "PartitionedDirectory": ("corpus.outputs.sinks", "PartitionedDirectory"),
    "check_format": ("corpus.outputs.sinks", "check_format"),
    "is_directory_target": ("corpus.outputs.sinks", "is_directory_target"),
    "open_records": ("corpus.outputs.sinks", "open_records"),
    "StagedOutputs": ("corpus.outputs.write", "StagedOutputs"),
    "atomic_output": ("corpus.outputs.write", "atomic_output"),
    "check_writable": ("corpus.outputs.write", "check_writable"),
    "dumps": ("corpus.outputs.write", "dumps"),
    "clashing_targets": ("corpus.outputs.targets", "clashing_targets"),
    "RunManifest": ("corpus.outputs.manifest", "RunManifest"),
    # run
    "Ingest": ("corpus.run.pipeline", "Ingest"),
    "IngestOptions": ("corpus.run.options", "IngestOptions"),
    "process": ("corpus.run.process", "process"),
    "make_executor": ("corpus.run.executors", "make_executor"),
    # report
    "build_report": ("corpus.report.summary", "build"),
    "render_report_html": ("corpus.report.html", "render"),
    "explain_document": ("corpus.report.explain", "explain"),
    "nth_document": ("corpus.report.explain", "nth_document"),
    "group_title": ("corpus.report.summary", "group_title"),
    "NotOutput": ("corpus.report.summary", "NotOutput"),
    "read_manifest": ("corpus.report.summary", "read_manifest"),
    "plural": ("corpus.report.summary", "plural"),
    "printable": ("corpus.report.summary", "printable"),
}

__all__ = ["__version__", *_FACE]


def __getattr__(name: str) -> Any:  # noqa: ANN401 - whatever the face offers
    """Import a stage when its first name is asked for, and remember it."""
    try:
        module, attribute = _FACE[name]
    except KeyError:
        raise AttributeError(f"module 'corpus' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_FACE))


if TYPE_CHECKING:  # what type checkers (and the import-graph test) see of the table above
    from corpus.clean.cleaner import clean as clean_document
    from corpus.clean.cleaner import clean_text
    from corpus.clean.rules import (
        ALL_RULES,
        KIND_RULES,
        REPEATED_LINE_MIN_GROUPS,
        RULE_NAMES,
        STRUCTURAL_RULES,
        language_table,
        languages_of,
        rules_fingerprint,
    )
    from corpus.dedup.deduplicator import Deduplicator
    from corpus.dedup.minhash import MinHashParams, signature
    from corpus.dedup.parquet_state import META as PARQUET_STATE_META
    from corpus.dedup.parquet_state import ParquetState, is_parquet_state, state_refusal
    from corpus.dedup.state import StateError, StateIndex, integrity_problem, locked, stored_params, utc_instant
    from corpus.dedup.state_kinds import copy_state, import_state, open_existing_state, state_lock, unlock_state
    from corpus.document import Document, Reject, Removal, Source
    from corpus.extract.page import extract as extract_page
    from corpus.inputs.files import RawInput, common_base, walk
    from corpus.inputs.records import STDIN_RECORDS, newsclean_records, own_outputs, path_list, read_inputs
    from corpus.inputs.stdin import stdin_lines
    from corpus.inputs.storage import MissingBackend, check_backend, is_url, local, with_roots
    from corpus.inputs.streams import describe
    from corpus.language import BACKENDS, backend_available, detect_language, expand_languages
    from corpus.limits import DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT, MAX_BYTES_CAP, MAX_TIMEOUT
    from corpus.outputs.manifest import RunManifest
    from corpus.outputs.sinks import JsonlOut, PartitionedDirectory, check_format, is_directory_target, open_records
    from corpus.outputs.targets import clashing_targets
    from corpus.outputs.write import StagedOutputs, atomic_output, check_writable, dumps
    from corpus.report.explain import explain as explain_document
    from corpus.report.explain import nth_document
    from corpus.report.html import render as render_report_html
    from corpus.report.summary import NotOutput, group_title, plural, printable, read_manifest
    from corpus.report.summary import build as build_report
    from corpus.run.executors import make_executor
    from corpus.run.options import IngestOptions
    from corpus.run.pipeline import Ingest
    from corpus.run.process import process
    from corpus.signals import signals_held
