"""The ``newsclean`` command. Data goes to stdout, messages to stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, nullcontext
from dataclasses import asdict
from datetime import datetime, timezone
from typing import IO, Any

import click
from rich.console import Console

from cli.entry import exit_status, signal_name
from cli.state_commands import state
from corpus import __version__
from corpus.document import Reject
from corpus.language import BACKENDS, backend_available
from corpus.manifest import RunManifest
from corpus.pipeline import DEFAULT_TIMEOUT, Ingest, IngestOptions
from corpus.read import DEFAULT_MAX_BYTES, MAX_BYTES_CAP, common_base
from corpus.read_records import STDIN_RECORDS, describe, newsclean_records, path_list
from corpus.rules import REPEATED_LINE_MIN_GROUPS
from corpus.state import StateIndex, locked
from corpus.write import StagedOutputs, check_writable, dumps, write_jsonl

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REJECTS, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_SIGHUP, EXIT_SIGTERM = 129, 143  # 128 + the signal, as shells report it (see cli.entry)
MAX_TIMEOUT = 7 * 24 * 3600.0  # a week: past this there is no limit worth setting (use 0)

INGEST_HELP = """Clean and deduplicate the news under PATH... into JSON Lines.

Each PATH is a file or a folder (walked recursively, in sorted order). Read are
HTML (.html, .htm, .xhtml) and plain text (.txt), one document per file; WARC
archives (.warc, .warc.gz: every HTTP 200 HTML response); crawler JSON Lines
(.jsonl, .ndjson: one object per line with "html" or "text"); and the .gz (or,
with the zstd extra, .zst) of any of them. Other files are skipped and counted.
A PATH of "-" reads a list of paths from standard input, one per line, or, with
--stdin-format jsonl, the records themselves.

\b
Examples:
  newsclean ingest crawl/ > clean.jsonl
  newsclean ingest CC-NEWS-20261124.warc.gz feeds/crawl.jsonl pages/ -o clean.jsonl
  find crawl -name '*.html' -newer last-run | newsclean ingest - | jq -r .title
  zcat feed.jsonl.gz | newsclean ingest - --stdin-format jsonl --state nightly.db
"""


def _paths_from(args: tuple[str, ...], stdin_format: str) -> Iterator[str | Reject]:
    for arg in args:
        if arg == "-" and stdin_format == "jsonl":
            yield STDIN_RECORDS
        elif arg == "-":
            yield from path_list(sys.stdin.buffer)
        else:
            yield arg


def _parse_languages(value: str | None) -> set[str] | None:
    if not value:
        return None
    return {code.strip().lower() for code in value.split(",") if code.strip()}


def _options(*decorators: Callable) -> Callable:
    """Apply a shared group of click options (in the order they are listed in --help)."""
    def apply(fn: Callable) -> Callable:
        for decorator in reversed(decorators):
            fn = decorator(fn)
        return fn
    return apply


OUTPUT_OPTIONS = _options(
    click.option("-o", "--output", type=click.Path(dir_okay=False),
                 help="Write to FILE (atomically) instead of stdout."),
    click.option("--rejects", "rejects_path", type=click.Path(dir_okay=False),
                 help="Write one JSON line per rejected or skipped input to FILE."),
    click.option("--strict", is_flag=True, help="Exit with 3 when any input was rejected (skips excepted)."),
    click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False),
                 help="Write a run manifest (times, versions, rules, parameters, inputs and outcomes) to FILE."),
    click.option("-q", "--quiet", is_flag=True, help="No summary on stderr."),
    click.option("--debug", is_flag=True, help="Show tracebacks on errors."),
)
DOCUMENT_OPTIONS = _options(
    click.option("--stdin-format", type=click.Choice(["paths", "jsonl"]), default="paths", show_default=True,
                 help="What a PATH of '-' reads from stdin: a list of paths, or JSONL records."),
    click.option("--lang", "languages", metavar="CODES", help="Keep only these languages, e.g. 'en,de'."),
    click.option("--lang-backend", type=click.Choice(BACKENDS), default="langdetect", show_default=True,
                 help="Language detector; 'langid' (py3langid, pip install 'newsclean[fast]') is about 8x faster."),
    click.option("--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="all cores",
                 help="Processes for reading, extraction, cleaning and language detection."),
    click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES, show_default=True,
                 callback=lambda ctx, param, value: min(value, MAX_BYTES_CAP),
                 help="Reject documents larger than this (after decompression)."),
    click.option("--timeout", type=click.FloatRange(min=0, max=MAX_TIMEOUT), default=DEFAULT_TIMEOUT,
                 show_default=True,
                 help="Seconds one document may take before it is rejected (0: no limit)."),
)
DEDUP_OPTIONS = _options(
    click.option("--keep-duplicates", is_flag=True, help="Also write near-duplicates, with duplicate_of set."),
    click.option("--stream", is_flag=True,
                 help="Write each record as soon as it is done: the first of a group is kept, no repeated-line rule."),
    click.option("--min-repeat", type=click.IntRange(min=0), default=REPEATED_LINE_MIN_GROUPS, show_default=True,
                 help="Remove lines found in this many different stories of the run (0: off)."),
    click.option("--state", "state_path", type=click.Path(dir_okay=False),
                 help="Persistent dedup index (SQLite): copies of stories kept by earlier runs are duplicates."),
    click.option("--lock-wait", type=click.FloatRange(min=0), default=600, show_default=True,
                 help="Seconds to wait for another run holding --state before giving up."),
)


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
@OUTPUT_OPTIONS
@DOCUMENT_OPTIONS
@DEDUP_OPTIONS
def ingest(paths: tuple[str, ...], stdin_format: str, **settings: Any) -> None:
    _check_paths(paths)
    base = common_base([p for p in paths if p != "-"] or ["."])
    _run(lambda run: run.records(_paths_from(paths, stdin_format), base), **settings)


@main.command()
@click.argument("source", metavar="FILE")
@OUTPUT_OPTIONS
@DOCUMENT_OPTIONS
def clean(source: str, stdin_format: str, **settings: Any) -> None:
    """Clean crawler JSON Lines (or any PATH ingest reads) without deduplicating.

    FILE is a file or folder as for ingest, or "-" for JSONL records on stdin. The
    output has ingest's record format; `newsclean dedup` finishes the job.

    \b
    Example:
      zcat feed.jsonl.gz | newsclean clean - | newsclean dedup - --state nightly.db
    """
    _check_paths((source,))
    paths = (STDIN_RECORDS,) if source == "-" else (source,)
    _run(lambda run: run.cleaned(paths, common_base(paths if source != "-" else ["."])), **settings)


@main.command()
@click.argument("source", metavar="FILE")
@OUTPUT_OPTIONS
@DEDUP_OPTIONS
def dedup(source: str, **settings: Any) -> None:
    """Deduplicate records written by `newsclean clean` (FILE, or "-" for stdin).

    Near-duplicates, the corpus-level repeated-line rule and --state work as in ingest:
    `newsclean clean - | newsclean dedup -` gives what `newsclean ingest` gives.

    \b
    Example:
      newsclean dedup cleaned.jsonl --state nightly.db --keep-duplicates
    """
    _check_paths((source,))
    _run(lambda run: run.deduplicated(newsclean_records(source, run.options.max_bytes)), workers=1, **settings)


def _check_paths(paths: tuple[str, ...]) -> None:
    for arg in paths:
        if arg != "-" and not os.path.lexists(arg):
            raise click.BadParameter(f"no such file or folder: {arg}", param_hint="PATH")


def _run(produce: Callable[[Ingest], Iterator[dict]], *, output: str | None, rejects_path: str | None,
         strict: bool, manifest_path: str | None, quiet: bool, debug: bool, state_path: str | None = None,
         lock_wait: float = 600, languages: str | None = None, lang_backend: str = "langdetect",
         **settings: Any) -> None:
    """One run of any command: checks first; then the outputs, written under temporary names; then the
    state commit; then the outputs renamed into place. A failure before the renames changes nothing."""
    console = Console(stderr=True)
    if output is None and sys.stdout is None:
        raise click.UsageError("standard output is closed: give -o FILE for the records")
    if not backend_available(lang_backend):
        raise click.BadParameter(f"{lang_backend} is not installed: pip install 'newsclean[fast]'",
                                 param_hint="--lang-backend")
    for target in (output, rejects_path, state_path, manifest_path):
        if target:
            try:
                check_writable(target)
            except OSError as err:
                raise click.BadParameter(str(err), param_hint=f"'{target}'") from err
    options = IngestOptions(languages=_parse_languages(languages), lang_backend=lang_backend,
                            repeated_line_min_groups=settings.pop("min_repeat", REPEATED_LINE_MIN_GROUPS),
                            **settings)
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    manifest = RunManifest(started, options.minhash, _manifest_options(options)) if manifest_path else None
    try:
        with ExitStack() as stack:
            state = _open_state(stack, state_path, options, lock_wait, quiet) if state_path else None
            progress = stack.enter_context(_progress(console, quiet))
            task = progress.add_task("reading", total=None) if progress else None
            staged = StagedOutputs()
            stack.callback(staged.discard)  # however the run ends, no temporary file stays behind
            rejects = staged.open(rejects_path) if rejects_path else None
            run = Ingest(options, on_file=(lambda: progress.advance(task)) if progress else None,
                         on_reject=(lambda r: rejects.write(dumps(asdict(r)) + "\n")) if rejects else None,
                         state=state, first_seen=started, manifest=manifest)
            out: IO[str] = staged.open(output) if output else sys.stdout
            write_jsonl(produce(run), out, flush_each=options.stream)
            out.flush()
            if manifest is not None:
                finished = datetime.now(timezone.utc).isoformat(timespec="seconds")
                staged.open(manifest_path).write(manifest.dumps(finished, run.stats))
            staged.finish()  # every output on disk under its temporary name
            run.save_state()
            staged.publish()
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(EXIT_OK)
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP (cli.entry)
        said = f"newsclean: interrupted ({signal_name(interrupt)})"
        click.echo(said + ("; no output file was replaced" if output else ""), err=True)
        sys.exit(exit_status(interrupt))
    except click.ClickException:
        raise
    except Exception as err:  # noqa: BLE001 - one clear line, not a traceback
        if debug:
            raise
        click.echo(f"newsclean: error: {str(err) if str(err) else describe(err)}", err=True)
        sys.exit(EXIT_FAILED)
    if not quiet:
        _summary(console, run)
    if strict and run.stats.failures:
        sys.exit(EXIT_REJECTS)


def _manifest_options(options: IngestOptions) -> dict[str, Any]:
    return {"languages": sorted(options.languages) if options.languages else None,
            "lang_backend": options.lang_backend, "keep_duplicates": options.keep_duplicates,
            "stream": options.stream, "workers": options.workers, "max_bytes": options.max_bytes,
            "timeout": options.timeout, "min_repeat": options.repeated_line_min_groups}


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


def _open_state(stack: ExitStack, path: str, options: IngestOptions, lock_wait: float, quiet: bool) -> StateIndex:
    """Lock, open and check the state; closed (and unlocked) when the run ends, however it ends."""
    stack.enter_context(locked(path, lock_wait, announce=not quiet))
    index = StateIndex(path, options.minhash)
    stack.callback(index.close)
    return index


main.add_command(state)


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

