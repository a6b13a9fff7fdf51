"""Stopping signals held back while libraries load.

langdetect turns an interrupt during its profile loading into a "Profile format error" for the
rest of the process, and some libraries import optional parts under a bare ``except:``, which
swallows a Ctrl-C that lands there. So the heavy imports and the warm-up run with Ctrl-C, SIGTERM
and SIGHUP held, and a signal that came meanwhile is delivered right after. This module imports
nothing heavy: the command line uses it before the libraries are loaded.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def signals_held() -> Iterator[None]:
    """Stopping signals that arrive inside the block are delivered when it ends. The Python-level
    handlers are swapped for ones that hold the signal; blocking it in the main thread's signal mask
    is not enough, since the kernel hands it to any thread that does not block it (OpenBLAS's,
    fsspec's I/O loop) and the main thread then runs the handler mid-load."""
    stopping = [signal.SIGINT, signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread runs signal handlers: nothing can interrupt this one
        return
    held: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: held.append(signum)) for signum in stopping}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        if held:
            os.kill(os.getpid(), held[0])
