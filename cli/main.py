"""The ``newsclean`` command. Data goes to stdout, messages to stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack, nullcontext
from dataclasses import asdict
from typing import IO

import click
from rich.console import Console

from corpus import __version__
from corpus.pipeline import DEFAULT_TIMEOUT, Ingest, IngestOptions
from corpus.read import DEFAULT_MAX_BYTES
from corpus.rules import REPEATED_LINE_MIN_GROUPS
from corpus.write import atomic_output, check_writable, dumps, write_jsonl

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTS, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

INGEST_HELP = """Clean and deduplicate the news files under PATH... into JSON Lines.

Each PATH is a file or a folder (walked recursively, in sorted order). A PATH of
"-" reads a list of paths from standard input, one per line. HTML (.html, .htm,
.xhtml), plain text (.txt) and the .gz of either are read; other files are
skipped and counted.

\b
Examples:
  newsclean ingest crawl/ > clean.jsonl
  newsclean ingest crawl/ --lang en,de -o clean.jsonl
  find crawl -name '*.html' -newer last-run | newsclean ingest - | jq -r .title
"""


def _paths_from(args: tuple[str, ...]) -> Iterator[str]:
    for arg in args:
        if arg == "-":
            yield from (line.rstrip("\n") for line in sys.stdin if line.strip())
        else:
            yield arg


def _parse_languages(value: str | None) -> set[str] | None:
    if not value:
        return None
    return {code.strip().lower() for code in value.split(",") if code.strip()}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsclean")
def main() -> None:
    """newsclean: clean, language-tag and deduplicate news corpora.

    \b
    Example:
      newsclean ingest crawl/ | jq -r '[.lang, .title] | @tsv'
    """


@main.command(help=INGEST_HELP)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE (atomically) instead of stdout.")
@click.option("--lang", "languages", metavar="CODES", help="Keep only these languages, e.g. 'en,de'.")
@click.option("--keep-duplicates", is_flag=True, help="Also write near-duplicates, with duplicate_of set.")
@click.option("--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="all cores",
              help="Processes for extraction, cleaning and language detection.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES, show_default=True,
              help="Reject files larger than this (after decompression).")
@click.option("--min-repeat", type=click.IntRange(min=0), default=REPEATED_LINE_MIN_GROUPS, show_default=True,
              help="Remove lines found in this many different stories of the run (0: off).")
@click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds one document may take before it is rejected (0: no limit).")
@click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False),
              help="Write one JSON line per rejected or skipped file to FILE.")
@click.option("--strict", is_flag=True, help="Exit with 3 when any file was rejected (skips excepted).")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
@click.option("--debug", is_flag=True, help="Show tracebacks on errors.")
def ingest(paths: tuple[str, ...], output: str | None, languages: str | None, keep_duplicates: bool,
           workers: int, max_bytes: int, min_repeat: int, timeout: float, rejects_path: str | None,
           strict: bool, quiet: bool, debug: bool) -> None:
    console = Console(stderr=True)
    for arg in paths:
        if arg != "-" and not os.path.lexists(arg):
            raise click.BadParameter(f"no such file or folder: {arg}", param_hint="PATH")
    for target in (output, rejects_path):
        if target:
            try:
                check_writable(target)
            except OSError as err:
                raise click.BadParameter(str(err), param_hint=f"'{target}'") from err

    options = IngestOptions(languages=_parse_languages(languages), keep_duplicates=keep_duplicates,
                            workers=workers, max_bytes=max_bytes, repeated_line_min_groups=min_repeat,
                            timeout=timeout)
    try:
        with ExitStack() as stack:
            progress = stack.enter_context(_progress(console, quiet))
            task = progress.add_task("reading", total=None) if progress else None
            rejects = stack.enter_context(atomic_output(rejects_path)) if rejects_path else None
            run = Ingest(options, on_file=(lambda: progress.advance(task)) if progress else None,
                         on_reject=(lambda r: rejects.write(dumps(asdict(r)) + "\n")) if rejects else None)
            out: IO[str] = stack.enter_context(atomic_output(output)) if output else sys.stdout
            write_jsonl(run.records(_paths_from(paths)), out)
            out.flush()
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(EXIT_OK)
    except KeyboardInterrupt:
        console.print("newsclean: interrupted; no output file was replaced" if output else "newsclean: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except Exception as err:  # noqa: BLE001 - one clear line, not a traceback
        if debug:
            raise
        console.print(f"newsclean: error: {err}", markup=False, highlight=False)
        sys.exit(EXIT_FAILED)
    if not quiet:
        _summary(console, run)
    if strict and run.stats.failures:
        sys.exit(EXIT_REJECTS)


@main.command()
def rules() -> None:
    """List the cleaning rules: the names records use in provenance.removed, and why.

    \b
    Example:
      newsclean rules
      newsclean ingest crawl/ | jq -r '.provenance.removed[].rule' | sort | uniq -c
    """
    from corpus.rules import ALL_RULES, STRUCTURAL_RULES, rules_fingerprint

    click.echo(f"# rules fingerprint {rules_fingerprint()}")
    for rule in ALL_RULES:
        scope = rule.kind + ("+suffix" if rule.suffix else "")
        click.echo(f"{rule.name}\t{scope}\t{rule.reason}")
    for name, reason in STRUCTURAL_RULES.items():
        click.echo(f"{name}\tstructural\t{reason}")


def _progress(console: Console, quiet: bool):  # noqa: ANN202
    """A progress bar only for a person watching a terminal; pipes and cron stay quiet."""
    if quiet or not console.is_terminal:
        return nullcontext(None)
    from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    return Progress(SpinnerColumn(), TextColumn("files"), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True)


def _summary(console: Console, run: Ingest) -> None:
    from rich.table import Table

    s = run.stats
    table = Table(title="newsclean ingest", title_justify="left", show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("files read", str(s.files))
    table.add_row("records written", str(s.records))
    table.add_row("duplicates" + ("" if run.options.keep_duplicates else " (left out)"), str(s.duplicates))
    if run.options.languages is not None:
        table.add_row("other languages (left out)", str(s.filtered_language))
    table.add_row("rejected", _counts(s.rejects))
    table.add_row("skipped", _counts(s.skipped))
    for rule, lines in sorted(s.removed_by_rule.items(), key=lambda kv: (-kv[1], kv[0])):
        table.add_row(f"  lines removed: {rule}", str(lines))
    console.print(table)


def _counts(counter: dict[str, int]) -> str:
    total = sum(counter.values())
    detail = ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))
    return f"{total} ({detail})" if total else "0"


def _silence_stdout() -> None:
    """After the reader of a pipe has gone, keep Python from complaining at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())

