"""The console entry point: nothing heavy is imported before Ctrl-C, SIGTERM and SIGHUP are handled.

A signal that arrives while the libraries are still loading must still end the run the way it
does later: one line on stderr and the exit status of a signal (130, 143, 129), not a traceback.
"""

from __future__ import annotations

import signal
import sys


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled like Ctrl-C (nothing replaced, nothing left behind), other exit status."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def exit_status(interrupt: KeyboardInterrupt) -> int:
    return 128 + (interrupt.signum if isinstance(interrupt, Stopped) else signal.SIGINT)


def signal_name(interrupt: KeyboardInterrupt) -> str:
    return signal.Signals(interrupt.signum).name if isinstance(interrupt, Stopped) else "Ctrl-C"


def install() -> None:
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _stop)


def run() -> None:
    install()
    try:
        from cli.main import main

        main(prog_name="newsclean", auto_envvar_prefix="NEWSCLEAN")
    except KeyboardInterrupt as interrupt:  # only before the command's own handling took over
        sys.stderr.write(f"newsclean: interrupted ({signal_name(interrupt)})\n")
        sys.exit(exit_status(interrupt))
