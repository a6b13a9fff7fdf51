"""The console entry point: nothing heavy is imported before Ctrl-C, SIGTERM and SIGHUP are handled.

A signal that arrives while the libraries are still loading must still end the run the way it
does later: one line on stderr and the exit status of a signal (130, 143, 129), not a traceback.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import suppress
from typing import NoReturn

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTS, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_SIGHUP, EXIT_SIGTERM = 129, 143  # 128 + the signal, as shells report it (see exit_status)


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
    """click runs in non-standalone mode so that an interrupt anywhere (while libraries load, while
    options are parsed) ends as the same one line and exit status, not click's "Aborted!" and 1."""
    install()
    try:
        from click import Abort, ClickException

        from cli.main import main
    except KeyboardInterrupt as interrupt:
        _interrupted(interrupt)
    try:
        code = main.main(prog_name="newsclean", auto_envvar_prefix="NEWSCLEAN", standalone_mode=False)
    except ClickException as err:
        show_error(err)
        sys.exit(err.exit_code)
    except Abort as abort:
        cause = abort.__cause__
        _interrupted(cause if isinstance(cause, KeyboardInterrupt) else KeyboardInterrupt())
    except KeyboardInterrupt as interrupt:
        _interrupted(interrupt)
    sys.exit(code if isinstance(code, int) else 0)


def show_error(err: Exception) -> None:
    """A click error in the one form every error has: ``newsclean: error: …`` (a usage error keeps
    click's usage line and help hint above it)."""
    import io

    from click import ClickException

    assert isinstance(err, ClickException)
    shown = io.StringIO()
    err.show(file=shown)
    message = err.format_message()
    text = shown.getvalue()
    click_form = f"Error: {message}\n"
    if text.endswith(click_form):
        text = text[: -len(click_form)] + f"newsclean: error: {message}\n"
    sys.stderr.write(text)
    sys.stderr.flush()


def _interrupted(interrupt: KeyboardInterrupt) -> None:
    sys.stderr.write(f"newsclean: interrupted ({signal_name(interrupt)})\n")
    exit_at_once(exit_status(interrupt))


def exit_at_once(status: int) -> NoReturn:
    """End an interrupted run now. The run has already cleaned up (outputs discarded, state rolled
    back, workers stopped); the interpreter's exit hooks would then wait on concurrent.futures'
    manager thread, which can block for ever on a queue its killed workers no longer read."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(status)
