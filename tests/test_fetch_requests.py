"""Small listed objects are fetched with one request each: s3fs would otherwise ask each one's size first (a
HEAD before the GET, on a worker whose filesystem has no listing cached), doubling the requests of a run."""

from __future__ import annotations

from typing import Any

from corpus.inputs.storage import RemoteFile, fetch


class Store:
    """A filesystem that records how it was asked; ``max_concurrency``: it splits large objects (as s3fs)."""

    def __init__(self, splits: bool) -> None:
        self.calls: list[dict[str, Any]] = []
        if splits:
            self.max_concurrency = 10

    def cat(self, paths: list[str], on_error: str = "raise", **options: Any) -> dict[str, bytes]:  # noqa: ANN401
        self.calls.append(options)
        return {p: p.encode() for p in paths}


def files(fs: Store) -> list[RemoteFile]:
    return [RemoteFile(url=f"s3://b/{n}.html", rel=f"{n}.html", size=10, fs=fs, path=f"b/{n}.html") for n in range(3)]


def test_a_store_that_splits_large_objects_is_asked_for_each_small_one_whole():
    fs = Store(splits=True)
    got = files(fs)
    fetch(got)
    assert fs.calls == [{"max_concurrency": 1}]
    assert [f.read(100) for f in got] == [b"b/0.html", b"b/1.html", b"b/2.html"]


def test_other_stores_get_no_option_they_would_not_know():
    fs = Store(splits=False)
    got = files(fs)
    fetch(got)
    assert fs.calls == [{}]
    assert got[2].read(100) == b"b/2.html"
