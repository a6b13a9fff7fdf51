"""The run manifest (``--manifest FILE``): what a run read, with what, and what became of it.

Wall-clock time lives here, never in records: the records of a rerun are byte-identical,
the manifest says when each run happened.
"""

from __future__ import annotations

import json
import platform
from collections import Counter
from contextlib import suppress
from importlib import metadata
from pathlib import Path
from typing import Any

from corpus.clean.rules import rules_fingerprint
from corpus.dedup.minhash import MinHashParams
from corpus.inputs.files import is_regular_file
from corpus.inputs.storage import RemoteFile
from corpus.inputs.streams import hash_file
from corpus.version import __version__

LIBRARIES = ("trafilatura", "lxml", "htmldate", "datasketch", "langdetect", "py3langid", "warcio", "zstandard",
             "click", "rich", "numpy", "xxhash")


def library_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


class RunManifest:
    """Collects the inputs and their outcomes during a run; :meth:`document` gives the JSON."""

    def __init__(self, started: str, params: MinHashParams, options: dict[str, Any]) -> None:
        self.started = started
        self.params = params
        self.options = options
        self._inputs: dict[str, dict[str, Any]] = {}
        self._outcomes: dict[str, Counter[str]] = {}
        self._current: str | None = None
        self.deferred = False  # the workers read the inputs and say what they hashed (identify)
        self._pending: dict[str, Path | RemoteFile] = {}

    def add_input(self, rel: str, path: Path | RemoteFile | None) -> None:
        """An input file, object (listed by its URL) or stdin; hashed here, in blocks, only because a
        manifest was asked for (``deferred``: by the worker that reads it, or else when the run ends)."""
        entry: dict[str, Any] = {"path": rel, "sha256": None, "bytes": None}
        if isinstance(path, RemoteFile):
            entry["url"] = path.url
        if self.deferred and path is not None and rel not in self._inputs:
            self._pending[rel] = path
        else:
            self._hash(entry, path)
        self._inputs.setdefault(rel, entry)
        self._outcomes.setdefault(rel, Counter())
        self._current = rel

    @staticmethod
    def _hash(entry: dict[str, Any], path: Path | RemoteFile | None) -> None:
        if isinstance(path, RemoteFile):
            with suppress(Exception):  # denied or vanished since it was listed: no hash, as for a local file
                entry["sha256"], entry["bytes"] = path.identity()
        elif path is not None and is_regular_file(path):  # never a FIFO or a device: they would block or never end
            try:
                entry["sha256"] = hash_file(path)
                entry["bytes"] = path.stat().st_size
            except OSError:
                entry["sha256"] = None

    def identify(self, rel: str, identity: tuple[str | None, int | None]) -> None:
        """What the worker that read input ``rel`` found it to be (``deferred``)."""
        if self._pending.pop(rel, None) is not None:
            self._inputs[rel]["sha256"], self._inputs[rel]["bytes"] = identity

    def count(self, rel: str | None, outcome: str) -> None:
        """One document of input ``rel`` (None: the input being read now) became ``outcome``."""
        key = rel if rel is not None else self._current
        if key is not None:
            self._outcomes.setdefault(key, Counter())[outcome] += 1

    def document(self, finished: str, stats: Any) -> dict[str, Any]:  # noqa: ANN401 - RunStats
        for rel, path in self._pending.items():  # inputs no worker read (a hidden file, an unknown type)
            self._hash(self._inputs[rel], path)
        self._pending = {}
        inputs = []
        for rel, entry in self._inputs.items():
            inputs.append({**entry, "outcomes": dict(sorted(self._outcomes.get(rel, Counter()).items()))})
        return {
            "newsclean_version": __version__,
            "started": self.started,
            "finished": finished,
            "libraries": library_versions(),
            "rules_fingerprint": rules_fingerprint(),
            "minhash": self.params.as_dict(),
            "options": self.options,
            "totals": {
                "files": stats.files,
                "records": stats.records,
                "duplicates": stats.duplicates,
                "other_language": stats.filtered_language,
                "rejects": dict(stats.rejects),
                "skipped": dict(stats.skipped),
            },
            "inputs": inputs,
        }

    def dumps(self, finished: str, stats: Any) -> str:  # noqa: ANN401
        return json.dumps(self.document(finished, stats), ensure_ascii=False, indent=1) + "\n"
