"""Exit codes, how errors are shown and how a run ends: one place that the entry point, the commands and the
README's table all name (kept apart from ``cli.entry`` so that nothing imports the entry point back)."""

from __future__ import annotations

import os
import re
import signal
import sys
from contextlib import suppress
from typing import NoReturn

from corpus import Stopped

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTS, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_SIGHUP, EXIT_SIGTERM = 129, 143  # 128 + the signal, as shells report it (see exit_status)


def exit_status(interrupt: KeyboardInterrupt) -> int:
    return 128 + (interrupt.signum if isinstance(interrupt, Stopped) else signal.SIGINT)


def signal_name(interrupt: KeyboardInterrupt) -> str:
    return signal.Signals(interrupt.signum).name if isinstance(interrupt, Stopped) else "Ctrl-C"


def exit_at_once(status: int) -> NoReturn:
    """End an interrupted run now. The run has already cleaned up (outputs discarded, state rolled
    back, workers stopped); the interpreter's exit hooks would then wait on concurrent.futures'
    manager thread, which can block for ever on a queue its killed workers no longer read."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    os._exit(status)


_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and newline: as report's ``printable``


def safe_message(text: str) -> str:
    """A message that may quote data (a file's name, a record's field) made safe for a terminal: control
    characters, an escape sequence's ESC and BEL among them, shown as U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


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
    sys.stderr.write(safe_message(text))
    sys.stderr.flush()


def quiet_stdout_exit() -> None:
    """stdout's reader has gone: point stdout at /dev/null (Python flushes it at exit) and end with 0."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(EXIT_OK)
