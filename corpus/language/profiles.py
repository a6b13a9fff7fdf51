"""langdetect's language profiles as one matrix of weights, made once and kept in the user's cache."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

SEED = 0


@dataclass(frozen=True)
class Profiles:
    """langdetect's 55 language profiles as one matrix: what a Detector reads from its factory, with
    ``word_lang_prob_map`` giving each n-gram's row of ``weights`` instead of a list of 55 floats."""

    langlist: list[str]
    word_lang_prob_map: dict[str, int]
    weights: np.ndarray  # (n-grams, languages): the n-gram's count over the profile's n-grams of its length
    seed: int = SEED


def load_profiles() -> Profiles:
    """The profiles as :func:`_weighed` makes them from langdetect's files, kept in the user's cache (see
    :func:`_cached`) after the first time: 25 ms to open where weighing them takes 0.12 s, paid by every command
    and worker on start-up, and the weights are mapped from the file, one copy for all of a run's workers.
    Made once, under a lock: a Dask worker's threads starting together each read their own 38 MB otherwise."""
    with _LOADING:
        return _loaded()


_LOADING = threading.Lock()


@lru_cache(maxsize=1)
def _loaded() -> Profiles:
    from langdetect.detector_factory import PROFILES_DIRECTORY

    names = sorted(n for n in os.listdir(PROFILES_DIRECTORY) if not n.startswith("."))
    cached = _cached(PROFILES_DIRECTORY, names)
    if cached is not None and (profiles := _read_cache(cached)) is not None:
        return profiles
    profiles = _weighed(PROFILES_DIRECTORY, names)
    if cached is not None:
        _write_cache(cached, profiles)
    return profiles


def _weighed(directory: str, names: list[str]) -> Profiles:
    """The profiles, read in sorted order (langdetect reads them in directory order, which differs
    between file systems) and weighed with numpy: 0.12 s where langdetect's loader takes 0.54 s. The weights
    are langdetect's own divisions, bit for bit (``tests/test_language.py``). An interrupted load raises and
    is retried, never half-kept."""
    import numpy as np

    profiles = []
    for name in names:
        with open(os.path.join(directory, name), encoding="utf-8") as handle:
            profiles.append(json.load(handle))
    rows: dict[str, int] = {}
    for profile in profiles:
        rows.update(dict.fromkeys(profile["freq"]))
    rows = {gram: row for row, gram in enumerate(rows)}
    weights = np.zeros((len(rows), len(profiles)), dtype=np.float64)
    for column, profile in enumerate(profiles):
        freq = profile["freq"]
        at = np.fromiter(map(rows.__getitem__, freq), dtype=np.int64, count=len(freq))
        lengths = np.fromiter(map(len, freq), dtype=np.int64, count=len(freq))
        counts = np.fromiter(freq.values(), dtype=np.float64, count=len(freq))
        n_words = np.asarray(list(profile["n_words"]) + [1], dtype=np.float64)
        gram = (lengths >= 1) & (lengths <= 3)  # langdetect weighs 1- to 3-grams only
        weights[at[gram], column] = counts[gram] / n_words[lengths[gram] - 1]
    return Profiles([p["name"] for p in profiles], rows, weights)


CACHE_FORMAT = 1  # part of the cache's name: a change of what is kept makes a new one
CACHE_UNUSED_DAYS = 30
"""Another langdetect's kept profiles that no command has read for this long go when new ones are kept (a
reinstalled langdetect makes a new 38 MB file; two checkouts in use keep theirs)."""


def _cached(directory: str, names: list[str]) -> str | None:
    """Where the weighed profiles are kept (``$XDG_CACHE_HOME/newsclean``, else ``~/.cache/newsclean``): a name
    made from the profile files' names, sizes and times, so that another langdetect's profiles get their own.
    None where there is no such folder and none can be made (a read-only home): the profiles are weighed."""
    try:
        stats = [os.stat(os.path.join(directory, name)) for name in names]
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(base, "newsclean")
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return None
    files = [(name, stat.st_size, stat.st_mtime_ns) for name, stat in zip(names, stats, strict=True)]
    made_from = json.dumps([CACHE_FORMAT, directory, files])
    return os.path.join(folder, "langdetect-" + hashlib.sha256(made_from.encode()).hexdigest()[:20])


def _read_cache(path: str) -> Profiles | None:
    """The kept profiles, their weights mapped read-only from the file; None if they are missing or do not fit
    together (a file cut short, another's half): the profiles are then weighed again and kept anew."""
    import numpy as np

    try:
        with open(path + ".json", encoding="utf-8") as handle:
            kept = json.load(handle)
        weights = np.load(path + ".npy", mmap_mode="r", allow_pickle=False)
        langlist, grams = kept["langlist"], kept["grams"]
        if weights.dtype != np.float64 or weights.shape != (len(grams), len(langlist)):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    with suppress(OSError):
        os.utime(path + ".npy")  # read now: see CACHE_UNUSED_DAYS
    return Profiles(langlist, dict(zip(grams, range(len(grams)), strict=True)), weights)


def _write_cache(path: str, profiles: Profiles) -> None:
    """Each file written under a name of its own, then renamed into place: workers starting at once each
    write the same bytes, and a reader sees a whole file or none. A full or read-only disk keeps nothing."""
    import numpy as np

    temporary = f"{path}.{os.getpid()}.{threading.get_ident()}"
    try:
        with open(temporary + ".npy", "wb") as handle:
            np.save(handle, profiles.weights, allow_pickle=False)
        with open(temporary + ".json", "w", encoding="utf-8") as handle:
            json.dump({"langlist": profiles.langlist, "grams": list(profiles.word_lang_prob_map)}, handle,
                      ensure_ascii=False)
        os.replace(temporary + ".npy", path + ".npy")
        os.replace(temporary + ".json", path + ".json")
    except OSError:
        for suffix in (".npy", ".json"):
            with suppress(OSError):
                os.unlink(temporary + suffix)
        return
    _forget_unused(path)


def _forget_unused(kept: str) -> None:
    """Other kept profiles (another langdetect's) that no command has read for ``CACHE_UNUSED_DAYS`` go."""
    import time

    folder, own = os.path.split(kept)
    too_old = time.time() - CACHE_UNUSED_DAYS * 86400
    with suppress(OSError):
        for entry in os.scandir(folder):
            stem, suffix = os.path.splitext(entry.name)
            if entry.name.startswith("langdetect-") and suffix == ".npy" and stem != own \
                    and entry.stat().st_mtime < too_old:
                for gone in (".npy", ".json"):
                    with suppress(OSError):
                        os.unlink(os.path.join(folder, stem + gone))
