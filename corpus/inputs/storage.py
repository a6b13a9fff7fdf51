"""Object storage (S3, GCS, HTTPS) through fsspec: list, stat, open as a stream, upload at publish.

The readers and writers stay what they are for local files; a PATH or an output that is a URL
(``s3://bucket/prefix/``) goes through this module instead. fsspec and its backends are the
optional ``s3`` extra and are imported only when a URL is given, so ``newsclean --version`` and
local runs never load them. Configuration is the backends' own: AWS_* variables, profiles,
``AWS_ENDPOINT_URL`` for MinIO and other S3-compatible stores.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import unquote, urlparse

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
EXTRAS = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs", "http": "http", "https": "http"}
READ_ONLY = {"http", "https"}


class MissingBackend(Exception):
    """A URL whose scheme has no fsspec backend installed: a usage error that names the extra."""


def is_url(path: str) -> bool:
    """A PATH such as ``s3://bucket/key``; ``file://`` URLs are turned into local paths first (:func:`local`)."""
    return bool(_URL.match(path))


def local(path: str) -> str:
    """``file:///srv/crawl`` as ``/srv/crawl``, so local files are read and written the local way; else as given."""
    if path.lower().startswith("file://"):
        return unquote(urlparse(path).path) or "/"
    return path


def scheme(url: str) -> str:
    return url.split("://", 1)[0].lower()


class Url(str):
    """A URL PATH argument that knows the prefix its objects are named relative to (see :func:`common_prefix`)."""

    root: str

    def __new__(cls, url: str, root: str) -> Url:
        made = super().__new__(cls, url)
        made.root = root
        return made

    def __reduce__(self) -> tuple[type, tuple[str, str]]:
        return Url, (str(self), self.root)


def filesystem(url: str) -> tuple[Any, str]:
    """(fsspec filesystem, path without the scheme) for a URL; raises :class:`MissingBackend` when the
    scheme's backend (or fsspec itself) is not installed."""
    name = scheme(url)
    hint = f"pip install -e '.[{EXTRAS.get(name, 's3')}]' in the checkout"
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise MissingBackend(f"{url}: reading and writing URLs needs fsspec: {hint}") from None
    try:
        fs, path = url_to_fs(url, **_options(name))
    except ImportError as err:
        raise MissingBackend(f"{url}: no backend for {name}:// is installed ({err}): {hint}") from None
    except ValueError as err:
        raise MissingBackend(f"{url}: {err}: fsspec has no backend for {name}://") from None
    if name in ("s3", "s3a") and hasattr(fs, "retries"):
        fs.retries = S3FS_ATTEMPTS  # s3fs's own retries of what botocore has retried already
    return fs, path.rstrip("/") if name not in READ_ONLY else path


S3_CONNECT_TIMEOUT = 10.0  # seconds for a TCP connection (botocore: 60); NEWSCLEAN_S3_CONNECT_TIMEOUT sets it
S3_READ_TIMEOUT = 20.0  # seconds one socket read may wait (botocore: 60): a peer that never answers ends a read;
# NEWSCLEAN_S3_READ_TIMEOUT sets it
S3_ATTEMPTS = 2  # tries per request in botocore (its default: 5 in legacy mode)
S3FS_ATTEMPTS = 1  # tries of botocore's tries in s3fs (its default: 5): a silent endpoint costs 40 s per request


def _options(name: str) -> dict[str, Any]:
    """Time limits, so that an endpoint that accepts and never answers is an error rather than a wait for ever
    (botocore retries a read timeout, and s3fs retries botocore's); and ``AWS_ENDPOINT_URL``, which older
    botocore releases ignore, passed on explicitly to be sure."""
    if name not in ("s3", "s3a"):
        return {}
    options: dict[str, Any] = {"config_kwargs": {
        "connect_timeout": _seconds("NEWSCLEAN_S3_CONNECT_TIMEOUT", S3_CONNECT_TIMEOUT),
        "read_timeout": _seconds("NEWSCLEAN_S3_READ_TIMEOUT", S3_READ_TIMEOUT),
        "retries": {"max_attempts": S3_ATTEMPTS}}}
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["client_kwargs"] = {"endpoint_url": endpoint}
    return options


def _seconds(variable: str, default: float) -> float:
    """A time limit from the environment (``NEWSCLEAN_S3_READ_TIMEOUT=5``), else ``default``; OSError naming
    the variable when it is not a positive number of seconds."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise OSError(f"{variable}={value!r} is not a number of seconds")
    return seconds


def check_backend(url: str) -> None:
    """Raise :class:`MissingBackend` now, before any work, when the URL cannot be handled at all."""
    filesystem(url)


@dataclass
class RemoteFile:
    """One object found under a URL PATH: what the readers need to name, bound and open it."""

    url: str
    rel: str  # as records name it: relative to the URL arguments' common prefix
    size: int | None
    fs: Any
    path: str  # the backend's path (no scheme)
    version: str = ""  # ETag or mtime: a changed object is hashed again
    known: tuple[str, int] | None = None  # (sha256, size), once the object has been read whole
    fetched: bytes | BaseException | None = None  # its bytes (or why not), fetched with others by :func:`fetch`

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    def open(self) -> IO[bytes]:
        """A binary stream of the object, fetched in blocks as it is consumed (never whole); buffered, since
        the line readers bound each line with ``readline(limit)``, which fsspec's files do not take."""
        return io.BufferedReader(self.fs.open(self.path, "rb", block_size=1 << 22, cache_type="readahead"),
                                 buffer_size=1 << 16)

    def read(self, limit: int) -> bytes:
        """At most ``limit`` + 1 bytes of the object: one more than the limit tells it is too large."""
        fetched, self.fetched = self.fetched, None
        if isinstance(fetched, BaseException):
            raise fetched
        if fetched is not None:
            return fetched[: limit + 1]
        with self.open() as handle:
            return handle.read(limit + 1)

    def identity(self) -> tuple[str, int]:
        """(sha256, size) of the object as stored, read once per object and version in blocks."""
        return self.known or _hash(self.url, self.version, self.fs, self.path)


@functools.lru_cache(maxsize=8)
def _hash(url: str, version: str, fs: Any, path: str) -> tuple[str, int]:  # noqa: ANN401
    digest = hashlib.sha256()
    size = 0
    with fs.open(path, "rb", block_size=1 << 22) as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _version(info: dict[str, Any]) -> str:
    return str(info.get("ETag") or info.get("etag") or info.get("LastModified") or info.get("mtime") or "")


def _folder(url: str) -> tuple[str, bool]:
    """(the URL without a trailing slash, whether it is a prefix of objects rather than one object)."""
    try:
        fs, path = filesystem(url)
        return url.rstrip("/"), scheme(url) not in READ_ONLY and fs.isdir(path)
    except MissingBackend:
        raise
    except Exception:  # noqa: BLE001 - a missing bucket is the reader's reject, not an error here
        return url.rstrip("/"), url.endswith("/")


def common_prefix(urls: Iterable[str]) -> str | None:
    """The prefix the URL arguments have in common, as :func:`corpus.inputs.files.common_base` for folders: a prefix
    argument counts whole, an object argument by its parent. None when they share no scheme and bucket."""
    folders = []
    for url in urls:
        stripped, is_folder = _folder(url)
        folders.append(stripped if is_folder else stripped.rsplit("/", 1)[0])
    if not folders:
        return None
    parts = [f.split("/") for f in folders]
    common = os.path.commonprefix(parts)
    return "/".join(common) if len(common) > 3 or (len(common) == 3 and common[2]) else None


def with_roots(paths: Iterable[str]) -> list[str]:
    """The PATH arguments, each URL among them as a :class:`Url` that knows the common prefix."""
    paths = [local(p) for p in paths]
    root = common_prefix(p for p in paths if is_url(p))
    return [Url(p, root or _parent(p)) if is_url(p) else p for p in paths]


def _parent(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[0]


def relative(url: str, root: str) -> str:
    """A URL as records show it: relative to ``root``, or whole when outside it."""
    prefix = root.rstrip("/") + "/"
    return url[len(prefix):] if url.startswith(prefix) else url


def walk_url(url: str, root: str | None = None) -> Iterator[RemoteFile | tuple[str, str]]:
    """Every object under a URL, recursively, in the order a folder is walked (sorted by path segment), as
    :class:`RemoteFile`; or (rel, why) when the URL cannot be listed or names nothing (missing bucket or
    object, access denied): the caller makes that an ``unreadable`` reject."""
    root = root or getattr(url, "root", None)
    url = str(url)  # a plain string from here on: it is pickled into every record's provenance
    fs, path = filesystem(url)
    shown = relative(url.rstrip("/"), root or _parent(url))
    try:
        info = fs.info(path)
        if info.get("type") == "directory" and scheme(url) not in READ_ONLY:
            found = fs.find(path, detail=True)
            root = root or url.rstrip("/")  # as a local folder PATH: names relative to itself
        else:
            found = {path: info}
    except FileNotFoundError as err:
        yield shown, f"no such object, prefix or bucket: {_reason(err)}"
        return
    except Exception as err:  # noqa: BLE001 - denied access, bad credentials, no endpoint: one reject each
        yield shown, _reason(err)
        return
    root = root or _parent(url)
    prefix = url.split("://", 1)[0] + "://"
    urls = {key: (key if is_url(key) else prefix + key.lstrip("/")) for key in found}
    for key in sorted(found, key=lambda k: relative(urls[k], root).split("/")):
        info = found[key]
        yield RemoteFile(url=urls[key], rel=relative(urls[key], root), size=info.get("size"), fs=fs, path=key,
                         version=_version(info))


def _reason(err: BaseException) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) < 300 else text[:300] + "…"


def fetch(files: list[RemoteFile]) -> None:
    """Fetch small objects together (the backend runs the requests concurrently): one at a time, a folder of
    pages in S3 would cost a round trip per page. Each file keeps its bytes, or its error, until read."""
    if len(files) < 2:
        return
    fs = files[0].fs
    # s3fs asks each object's size first (a HEAD) to split large ones into concurrent ranges; these are small
    # and listed: one GET each (a worker's fresh filesystem has no listing cached to answer the HEAD)
    whole = {"max_concurrency": 1} if hasattr(fs, "max_concurrency") else {}
    got = fs.cat([f.path for f in files], on_error="return", **whole)
    for file in files:
        file.fetched = got.get(file.path) if isinstance(got, dict) else None


def upload(local_file: str, url: str) -> None:
    """Copy a finished local file to the URL as one object (a multipart upload appears only when complete)."""
    fs, path = filesystem(url)
    fs.put_file(local_file, path)


def check_writable(url: str) -> None:
    """Fail before any work when the URL cannot be written: no backend, a read-only scheme, no bucket."""
    fs, path = filesystem(url)
    if scheme(url) in READ_ONLY:
        raise OSError(f"{url}: {scheme(url)}:// URLs can be read, not written")
    bucket = path.split("/", 1)[0]
    try:  # not fs.exists: it takes an endpoint that never answers for a bucket that is not there
        fs.info(bucket)
    except FileNotFoundError:
        raise FileNotFoundError(f"{url}: no such bucket: {bucket}") from None
    except Exception as err:  # noqa: BLE001 - denied access, bad credentials, no endpoint, no answer
        raise OSError(f"{url}: {_timed_out(err) or _reason(err)}") from None


def _timed_out(err: BaseException) -> str | None:
    """What to say of a request that ran out of time (botocore's and aiohttp's timeouts name no limit)."""
    if "timeout" not in type(err).__name__.lower() and not isinstance(err, TimeoutError):
        return None
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or "the object store"
    return (f"{endpoint} did not answer within {_seconds('NEWSCLEAN_S3_READ_TIMEOUT', S3_READ_TIMEOUT):g} s "
            f"({_reason(err)}); NEWSCLEAN_S3_CONNECT_TIMEOUT and NEWSCLEAN_S3_READ_TIMEOUT set the limits")
