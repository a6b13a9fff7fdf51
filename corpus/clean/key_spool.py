"""Each document's line keys on disk between a batch run's passes (see ``corpus.run.pipeline``).

A batch run counts the lines of every document once all have been seen, then looks again at those a
corpus-level rule may touch: the keys (:func:`corpus.clean.document_keys.doc_keys`, six arrays a document)
wait in a temporary file, not in memory, so that the main process holds no more per document than
their sizes (20 bytes). A document's arrays go out in one write and come back in one read: a read and a
write per array, through numpy's file calls, cost a tenth of a plain-text document's main-process time.
"""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Iterator

import numpy as np

KEY_ARRAYS = 6  # line keys, site keys, removable keys, line titles, site templates, keys by line (doc_keys)


class KeySpool:
    """Append a document's key arrays with :meth:`add`; iterate to read them back, in order, as often as
    needed. Close it (or use it as a context manager) to drop the file."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="newsclean-lines-")  # noqa: SIM115 - closed by close()
        self._sizes = array("I")

    def __enter__(self) -> KeySpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def add(self, *keys: np.ndarray) -> None:
        if len(keys) != KEY_ARRAYS:
            raise ValueError(f"a document has {KEY_ARRAYS} key arrays, not {len(keys)}")
        self._sizes.extend(len(k) for k in keys)
        self._file.write(np.concatenate(keys).astype(np.uint64, copy=False).tobytes())

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        self._file.seek(0)
        sizes = self._sizes
        for at in range(0, len(sizes), KEY_ARRAYS):
            counts = sizes[at: at + KEY_ARRAYS]
            buffer = bytearray(8 * sum(counts))
            self._file.readinto(buffer)
            flat = np.frombuffer(buffer, dtype=np.uint64)
            arrays, start = [], 0
            for count in counts:
                arrays.append(flat[start: start + count])
                start += count
            yield tuple(arrays)
