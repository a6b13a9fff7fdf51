"""Stopping signals: held back while libraries load, and never lost.

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
from typing import NoReturn


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled like Ctrl-C (nothing replaced, nothing left behind), other exit status."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_requested: list[int] = []  # the stopping signals that came, in order


def stop(signum: int, frame: object = None) -> NoReturn:
    """The stopping signals' handler: note the signal, then raise (``Stopped``; KeyboardInterrupt for Ctrl-C).
    Noted because a raise can be lost: a signal that lands in code that ignores exceptions (the hooks Python
    runs around a fork print "Exception ignored" and go on) left the run going as if none had come, to end
    with 0 once its input did; :func:`raise_if_stopped` raises it again where the run can stop."""
    _requested.append(signum)
    raise _interruption(signum)


def raise_if_stopped() -> None:
    """Raise the first stop a signal asked for, if one did: called as each document goes by and before
    anything is committed, a lost raise is raised again there."""
    if _requested:
        raise _interruption(_requested[0])


def _interruption(signum: int) -> KeyboardInterrupt:
    """What a stopping signal raises: KeyboardInterrupt for Ctrl-C (exit 130), ``Stopped`` for the others."""
    return KeyboardInterrupt() if signum == signal.SIGINT else Stopped(signum)


def forget_stops() -> None:
    """A new run in this process: signals an earlier one handled are not its own."""
    _requested.clear()


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
