"""The ``newsclean`` command: options and wiring only. Data goes to stdout, messages to stderr.

Nothing heavy is imported here: the libraries load when a command runs (``cli.run``), so
``newsclean --help`` and ``--version`` answer at once, in every stage of a pipe.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import Any

import click

from cli.config import load_config
from cli.exits import (  # noqa: F401 - the exit codes the README's table lists, kept in one place
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REJECTS,
    EXIT_SIGHUP,
    EXIT_SIGTERM,
    EXIT_USAGE,
)
from cli.report_commands import explain, report
from cli.state_commands import state
from corpus import (
    BACKENDS,
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    MAX_BYTES_CAP,
    MAX_TIMEOUT,
    REPEATED_LINE_MIN_GROUPS,
    Reject,
    __version__,
    signals_held,
)

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


def _paths_from(args: tuple[str, ...], stdin_format: str, command: str = "ingest") -> Iterator[str | Reject]:
    from corpus import STDIN_RECORDS, path_list, stdin_lines

    for arg in args:
        if arg == "-" and stdin_format == "jsonl":
            yield STDIN_RECORDS
        elif arg == "-":
            yield from _hinted(path_list(stdin_lines()), command)  # type: ignore[arg-type] - readline is all it reads
        else:
            yield arg


def _hinted(paths: Iterator[str | Reject], command: str) -> Iterator[str | Reject]:
    """Paths from stdin as they come; the first that is a JSON object means records were piped in where
    paths were expected: say so once, with or without -v (each then becomes an `unreadable` reject)."""
    said = False
    for path in paths:
        json_line = isinstance(path, str) and path.lstrip().startswith("{") and path.rstrip().endswith("}")
        if not said and (json_line or isinstance(path, Reject) and "--stdin-format jsonl" in path.message):
            click.echo(f"newsclean {command}: hint: standard input holds JSON records, not paths: give "
                       "--stdin-format jsonl to read them", err=True)
            said = True
        yield path


def _hint_if_terminal(paths: tuple[str, ...], stdin_format: str) -> None:
    """`newsclean ingest -` typed at a prompt would wait in silence: say what it waits for."""
    if "-" in paths and sys.stdin is not None and sys.stdin.isatty():
        what = "JSONL records" if stdin_format == "jsonl" else "paths (one per line)"
        click.echo(f"newsclean: reading {what} from the terminal; end with Ctrl-D", err=True)


def _check_rule_names(ctx: click.Context, param: click.Parameter, names: tuple[str, ...]) -> frozenset[str]:
    from corpus import RULE_NAMES

    unknown = sorted(set(names) - RULE_NAMES)
    if unknown:
        raise click.BadParameter(f"no rule named {', '.join(unknown)}; the rules are: {', '.join(sorted(RULE_NAMES))}")
    return frozenset(names)


def _check_scheduler(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if value != "local" and "://" not in value:
        raise click.BadParameter(f"{value!r}: give 'local' or a scheduler address such as tcp://10.0.0.5:8786")
    return value


def _options(*decorators: Callable) -> Callable:
    """Apply a shared group of click options (in the order they are listed in --help)."""
    def apply(fn: Callable) -> Callable:
        for decorator in reversed(decorators):
            fn = decorator(fn)
        return fn
    return apply


OUTPUT_OPTIONS = _options(
    click.option("-o", "--output", type=click.Path(),
                 help="Write to FILE (atomically; .gz and .zst are compressed; .parquet is Parquet) instead of "
                      "stdout; DIR/ (or an existing folder): part-00000.jsonl.gz, ..., the manifest and _SUCCESS."),
    click.option("--format", "output_format", type=click.Choice(["jsonl", "parquet"]), default=None,
                 help="Record format of -o [default: parquet for *.parquet, else jsonl]; Parquet needs "
                      "pip install -e '.[parquet]' in the checkout."),
    click.option("--rejects", type=click.Path(dir_okay=False),
                 help="Write one JSON line per rejected or skipped input to FILE."),
    click.option("--strict", is_flag=True,
                 help="Exit with 3 when any input was rejected (skips excepted), or when there was no input."),
    click.option("--manifest", type=click.Path(dir_okay=False),
                 help="Write a run manifest (times, versions, rules, parameters, inputs and outcomes) to FILE."),
    click.option("-q", "--quiet", is_flag=True, help="No summary and no progress on stderr."),
    click.option("-v", "--verbose", is_flag=True, help="Also say each reject and skip on stderr as it happens."),
    click.option("--no-color", is_flag=True, help="No colours or styles on stderr (also NO_COLOR, TERM=dumb)."),
    click.option("--debug", is_flag=True, help="Show tracebacks on errors."),
)
STDIN_OPTION = click.option("--stdin-format", type=click.Choice(["paths", "jsonl"]), default=None,
                            help="What '-' reads from stdin: a list of paths, one per line, or JSONL records "
                                 "[default: paths for ingest, jsonl for clean].")
EXECUTOR_OPTIONS = (
    click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
                 help="Where the work runs: this machine's processes, or a Dask cluster (pip install "
                      "'newsclean[dask]'; see the README's \"Scaling out\")."),
    click.option("--scheduler", default="local", show_default=True, metavar="local|tcp://HOST:PORT",
                 callback=_check_scheduler,
                 help="With --executor dask: 'local' starts a cluster of --workers processes on this machine; "
                      "tcp://HOST:PORT joins a running scheduler."),
)
DOCUMENT_OPTIONS = _options(
    click.option("--lang", metavar="CODES",
                 help="Keep only these languages, e.g. 'en,de' (the detector's codes; 'zh' is zh-cn and zh-tw)."),
    click.option("--lang-backend", type=click.Choice(BACKENDS), default="langdetect", show_default=True,
                 help="Language detector; 'langid' (py3langid, pip install -e '.[fast]' in the checkout) is "
                      "about 8x faster."),
    click.option("--workers", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default="all cores",
                 help="Processes for reading, extraction, cleaning and language detection."),
    click.option("--max-bytes", type=click.IntRange(min=1), default=DEFAULT_MAX_BYTES, show_default=True,
                 callback=lambda ctx, param, value: min(value, MAX_BYTES_CAP),
                 help="Reject documents larger than this (after decompression)."),
    click.option("--timeout", type=click.FloatRange(min=0, max=MAX_TIMEOUT), default=DEFAULT_TIMEOUT,
                 show_default=True, help="Seconds one document may take before it is rejected (0: no limit)."),
    *EXECUTOR_OPTIONS,
    click.option("--skip-rule", "skip_rules", multiple=True, metavar="NAME", callback=_check_rule_names,
                 help="Turn a cleaning rule off for this run (repeatable; `newsclean rules` lists the names)."),
)
DEDUP_OPTIONS = _options(
    click.option("--keep-duplicates", is_flag=True, help="Also write near-duplicates, with duplicate_of set."),
    click.option("--stream", is_flag=True,
                 help="Write each record as soon as it is done: the first of a group is kept, and repeated lines "
                      "are judged on --state's counts and the stream's so far."),
    click.option("--min-repeat", type=click.IntRange(min=0), default=REPEATED_LINE_MIN_GROUPS, show_default=True,
                 help="Remove lines found in this many different stories of the run (0: off)."),
    click.option("--state", type=click.Path(),
                 help="Persistent dedup index: copies of stories kept by earlier runs are duplicates. A file is "
                      "SQLite; a folder (DIR/) is Parquet, for --executor dask on a cluster; s3://BUCKET/DIR/ is a "
                      "Parquet state in S3."),
    click.option("--lock-wait", type=click.FloatRange(min=0), default=600, show_default=True,
                 help="Seconds to wait for another run holding --state before giving up."),
)


class _Group(click.Group):
    """click's group, with errors shown as every newsclean error is (``newsclean: error: …``, cli.exits) when it
    runs standalone too (``CliRunner``, ``python -m cli`` through another entry)."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:  # noqa: ANN401 - click's
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        from cli.exits import show_error

        try:
            code = super().main(*args, standalone_mode=False, **kwargs)
        except click.ClickException as err:
            show_error(err)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:  # noqa: ANN401 - click's
        """A reader that has gone (`newsclean report OUT | head -1`) ends the command quietly, with 0 (click
        would exit 1): what the reader wanted, it got."""
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            from cli.exits import quiet_stdout_exit

            quiet_stdout_exit()


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "show_default": False})
@click.version_option(__version__, prog_name="newsclean")
@click.option("--config", type=click.Path(dir_okay=False, exists=True), is_eager=True, expose_value=False,
              callback=load_config, help="Read option defaults from a TOML file (flags and NEWSCLEAN_* variables win).")
def main() -> None:
    """newsclean: clean, language-tag and deduplicate news corpora.

    Every option can also come from an environment variable NEWSCLEAN_<COMMAND>_<OPTION>
    (e.g. NEWSCLEAN_INGEST_WORKERS=4) or from a --config file; flags win.

    \b
    Example:
      newsclean ingest crawl/ | jq -r '[.lang, .title] | @tsv'
    """


@main.command(help=INGEST_HELP)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@OUTPUT_OPTIONS
@STDIN_OPTION
@DOCUMENT_OPTIONS
@DEDUP_OPTIONS
def ingest(paths: tuple[str, ...], stdin_format: str | None, **settings: Any) -> None:
    run_command = _load_run_command()
    from corpus import common_base

    paths = _check_paths(paths)
    stdin_format = stdin_format or "paths"
    _hint_if_terminal(paths, stdin_format)
    base = common_base([p for p in paths if p != "-" and not _is_url(p)] or ["."])
    run_command("ingest", lambda run: run.records(_paths_from(paths, stdin_format), base), count=paths, **settings)


@main.command()
@click.argument("source", metavar="FILE")
@OUTPUT_OPTIONS
@STDIN_OPTION
@DOCUMENT_OPTIONS
def clean(source: str, stdin_format: str | None, **settings: Any) -> None:
    """Clean crawler JSON Lines (or any PATH ingest reads) without deduplicating.

    FILE is a file or folder as for ingest, or "-" for JSONL records on stdin (with
    --stdin-format paths: a list of paths). The output has ingest's record format;
    `newsclean dedup` finishes the job.

    \b
    Example:
      zcat feed.jsonl.gz | newsclean clean - | newsclean dedup - --state nightly.db
    """
    run_command = _load_run_command()
    from corpus import common_base

    (source,) = _check_paths((source,))
    stdin_format = stdin_format or "jsonl"
    _hint_if_terminal((source,), stdin_format)
    base = common_base([source] if source != "-" and not _is_url(source) else ["."])
    run_command("clean", lambda run: run.cleaned(_paths_from((source,), stdin_format, "clean"), base), count=(source,),
                **settings)


@main.command()
@click.argument("source", metavar="FILE")
@OUTPUT_OPTIONS
@DEDUP_OPTIONS
@_options(*EXECUTOR_OPTIONS, click.option(
    "--workers", type=click.IntRange(min=1), default=2, show_default=True,
    help="With --executor dask --scheduler local: the cluster's worker processes (the local executor signs "
         "the records in this process)."))
def dedup(source: str, **settings: Any) -> None:
    """Deduplicate records written by `newsclean clean` (FILE, a URL such as s3://…, or "-" for stdin).

    Near-duplicates, the corpus-level repeated-line rule and --state work as in ingest:
    `newsclean clean - | newsclean dedup -` gives what `newsclean ingest` gives.

    \b
    Example:
      newsclean dedup cleaned.jsonl --state nightly.db --keep-duplicates
    """
    run_command = _load_run_command()
    from corpus import newsclean_records

    (source,) = _check_paths((source,))
    _hint_if_terminal((source,), "jsonl")
    if settings["executor"] == "local":
        settings["workers"] = 1
    run_command("dedup", lambda run: run.deduplicated(newsclean_records(source, run.options.max_bytes)),
                inputs=(source,), **settings)


def _load_run_command() -> Callable[..., None]:
    """cli.run, and with it the libraries, loaded with stopping signals held (see corpus.signals)."""
    with signals_held():
        from cli.run import run_command
    return run_command


def _is_url(path: str) -> bool:
    from corpus import is_url

    return is_url(path)


def _check_paths(paths: tuple[str, ...]) -> tuple[str, ...]:
    """The PATH arguments, checked: a local one must exist; a URL's backend must be installed (a missing
    object or bucket is found when it is read: a reject, as an unreadable file is). ``file://`` URLs
    become local paths; other URLs learn the prefix they have in common (see corpus.inputs.storage.with_roots)."""
    from corpus import MissingBackend, check_backend, is_url, local, with_roots

    for arg in map(local, paths):
        if is_url(arg):
            try:
                check_backend(arg)
            except MissingBackend as err:
                raise click.BadParameter(str(err), param_hint="PATH") from None
        elif arg != "-" and not os.path.lexists(arg):
            raise click.BadParameter(f"no such file or folder: {arg}", param_hint="PATH")
    return tuple(with_roots(paths))


@main.command()
@click.option("--languages", "by_language", is_flag=True,
              help="List the language files instead: each language, and the kinds of chrome phrases it gives "
                   "(with how many phrases, and the rules they feed).")
def rules(by_language: bool) -> None:
    """List the cleaning rules: the names records use in provenance.removed, and why.

    \b
    Example:
      newsclean rules
      newsclean rules --languages
      newsclean ingest crawl/ | jq -r '.provenance.removed[].rule' | sort | uniq -c
    """
    from corpus import ALL_RULES, KIND_RULES, STRUCTURAL_RULES, language_table, languages_of, rules_fingerprint

    click.echo(f"# rules fingerprint {rules_fingerprint()}")
    if by_language:
        click.echo("# language\tname\tkinds (phrases: rules)")
        for code, name, kinds in language_table():
            listed = " ".join(f"{kind}({count}:{','.join(sorted(KIND_RULES[kind]))})" for kind, count in kinds.items())
            click.echo(f"{code}\t{name}\t{listed}")
        return
    click.echo("# name\tkind\tlanguages\treason")
    seen: set[tuple[str, str]] = set()
    for rule in ALL_RULES:
        if (rule.name, rule.kind) in seen:
            continue
        seen.add((rule.name, rule.kind))
        scope = rule.kind + ("+suffix" if rule.suffix else "")
        languages = ",".join(sorted({lang for r in ALL_RULES if (r.name, r.kind) == (rule.name, rule.kind)
                                     for lang in r.languages}))
        click.echo(f"{rule.name}\t{scope}\t{languages}\t{rule.reason}")
    for name, reason in STRUCTURAL_RULES.items():
        click.echo(f"{name}\tstructural\t{','.join(languages_of(name))}\t{reason}")


main.add_command(state)
main.add_command(report)
main.add_command(explain)


def _envvars_by_option_name(group: click.Group, prefix: str = "NEWSCLEAN") -> None:
    """click's NEWSCLEAN_<COMMAND>_<OPTION> takes the parameter's name (NEWSCLEAN_INGEST_SKIP_RULES,
    NEWSCLEAN_INGEST_OUTPUT_FORMAT); the name --help shows (SKIP_RULE, FORMAT) works as well. A
    repeatable option takes its values separated by spaces."""
    for name, command in group.commands.items():
        for param in command.params:
            if isinstance(param, click.Option) and param.envvar is None and param.name:
                auto = f"{prefix}_{name}_{param.name}".upper()
                shown = {f"{prefix}_{name}_{opt[2:]}".upper().replace("-", "_") for opt in param.opts
                         if opt.startswith("--")} - {auto}
                if shown:
                    param.envvar = sorted(shown)


_envvars_by_option_name(main)
