"""The console entry point: nothing heavy is imported before Ctrl-C, SIGTERM and SIGHUP are handled.

A signal that arrives while the libraries are still loading must still end the run the way it
does later: one line on stderr and the exit status of a signal (130, 143, 129), not a traceback.
"""

from __future__ import annotations

import signal
import sys

from cli.exits import exit_at_once, exit_status, show_error, signal_name
from corpus import forget_stops, raise_if_stopped, stop


def install() -> None:
    forget_stops()
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)


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
        raise_if_stopped()  # a signal whose raise was lost still ends the run with its status
    except ClickException as err:
        show_error(err)
        sys.exit(err.exit_code)
    except Abort as abort:
        cause = abort.__cause__
        _interrupted(cause if isinstance(cause, KeyboardInterrupt) else KeyboardInterrupt())
    except KeyboardInterrupt as interrupt:
        _interrupted(interrupt)
    sys.exit(code if isinstance(code, int) else 0)


def _interrupted(interrupt: KeyboardInterrupt) -> None:
    sys.stderr.write(f"newsclean: interrupted ({signal_name(interrupt)})\n")
    exit_at_once(exit_status(interrupt))
