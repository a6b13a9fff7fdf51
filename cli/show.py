"""What a person sees on stderr: progress, rejects as they happen (-v), the summary.

A terminal gets a progress bar (with a total and an ETA when the inputs could be counted, a
rate when they come from stdin) and a table; anything else (a cron log, a pipe) gets plain
lines that never wrap and carry no styles, each starting with the time (ISO 8601, UTC) and the
run's short id, so that nights (and two runs at once) can be told apart in a log.
``NO_COLOR``, ``TERM=dumb`` and ``--no-color`` turn every style off, bold and italics included.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from cli.exits import safe_message
from corpus import Reject


def styles_off(no_color: bool) -> bool:
    return no_color or "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb"


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class _Quiet:
    def input(self, rel: str = "") -> None:
        pass

    def document(self) -> None:
        pass


class _Bar:
    """rich's progress bar: files done of the total (ETA), or files and documents per second."""

    def __init__(self, progress: Any, total: int | None) -> None:  # noqa: ANN401 - rich.progress.Progress
        self._progress = progress
        self._task = progress.add_task("reading", total=total, docs=0)
        self._docs = 0

    def input(self, rel: str = "") -> None:
        self._progress.advance(self._task)

    def document(self) -> None:
        self._docs += 1
        self._progress.update(self._task, docs=self._docs)


class Show:
    def __init__(self, command: str, quiet: bool = False, verbose: bool = False, no_color: bool = False) -> None:
        self.command = command
        self.quiet = quiet
        self.verbose = verbose and not quiet
        self.terminal = stderr_is_terminal()
        self.plain = styles_off(no_color)
        self.run_id = secrets.token_hex(4)  # this run's, in its log lines

    def line(self, text: str) -> None:
        """One message of the run on stderr; in a log (not a terminal), after the time and the run's id."""
        if not self.terminal:
            from datetime import datetime, timezone

            now = datetime.now(timezone.utc).isoformat(timespec="seconds")
            text = f"{now} [{self.run_id}] {text}"
        click.echo(safe_message(text), err=True)

    def console(self, stdout: bool = False) -> Any:  # noqa: ANN401 - rich.console.Console, imported only here
        """stderr for messages; stdout for what a command is asked to show (report, explain)."""
        from rich.console import Console

        console = Console(stderr=not stdout, color_system=None if self.plain else "auto", highlight=False,
                          no_color=self.plain)
        if stdout:  # rich ends with 1 when the reader has gone (`report OUT | head`): end as every command does
            from cli.exits import quiet_stdout_exit

            console.on_broken_pipe = quiet_stdout_exit  # type: ignore[method-assign]
        return console

    @contextmanager
    def progress(self, total: int | None) -> Iterator[_Quiet | _Bar]:
        """A bar only for a person watching a terminal; pipes and cron stay quiet."""
        if self.quiet or not self.terminal:
            yield _Quiet()
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = [SpinnerColumn(), TextColumn("files"), MofNCompleteColumn()]
        if total is not None:
            columns += [BarColumn(), TimeRemainingColumn()]
        else:
            columns += [TaskProgressColumn(show_speed=True)]  # no total: a rate
        columns += [TextColumn("{task.fields[docs]} documents"), TimeElapsedColumn()]
        # records go to stdout whatever stderr is: rich must not take stdout over for the bar's sake
        with Progress(*columns, console=self.console(), transient=True, redirect_stdout=False) as bar:
            yield _Bar(bar, total)

    def reject(self, reject: Reject) -> None:
        if self.verbose:
            self.line(f"newsclean {self.command}: {reject.reason}: {reject.path}: {reject.message}")

    def summary(self, run: Any) -> None:  # noqa: ANN401 - corpus.run.pipeline.Ingest
        if self.quiet:
            return
        rows = summary_rows(self.command, run)
        if not self.terminal:
            for label, value in rows:
                self.line(f"newsclean {self.command}: {label.strip()}: {value}")
            return
        from rich.table import Table

        table = Table(title=f"newsclean {self.command}", title_justify="left", show_header=False, box=None,
                      pad_edge=False)
        table.add_column(style=None if self.plain else "bold")
        table.add_column(justify="right")
        for label, value in rows:
            table.add_row(label, value)
        self.console().print(table)


def summary_rows(command: str, run: Any) -> list[tuple[str, str]]:  # noqa: ANN401 - corpus.run.pipeline.Ingest
    """The counts each command has: dedup reads records, clean decides no duplicates."""
    s = run.stats
    rows = [("records read" if command == "dedup" else "files read", str(s.files)),
            ("records written", str(s.records))]
    if command != "clean":
        rows.append(("duplicates" + ("" if run.options.keep_duplicates else " (left out)"), str(s.duplicates)))
    if run.options.languages is not None:
        rows.append(("other languages (left out)", str(s.filtered_language)))
    rows.append(("rejected", _counts(s.rejects)))
    if command != "dedup":
        rows.append(("skipped", _counts(s.skipped)))
    for rule, lines in sorted(s.removed_by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        rows.append((f"  lines removed: {rule}", str(lines)))
    return rows


def _counts(counter: dict[str, int]) -> str:
    total = sum(counter.values())
    detail = ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))
    return f"{total} ({detail})" if total else "0"
