"""``newsclean report`` and ``newsclean explain``: look at what a run did, and why."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click


@click.command()
@click.argument("output", metavar="OUT")
@click.option("--rejects", type=click.Path(exists=True, dir_okay=False), help="The run's --rejects file.")
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False), help="The run's --manifest file.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False),
              help="Also write one self-contained HTML page with charts (no network needed to open it).")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON on stdout instead of tables.")
@click.option("--no-color", is_flag=True, help="No colours or styles (also NO_COLOR, TERM=dumb).")
def report(output: str, rejects: str | None, manifest: str | None, html_path: str | None, as_json: bool,
           no_color: bool) -> None:
    """What a run did: records, languages, duplicate groups, what each rule removed, rejects, sites.

    OUT is what ingest, clean or dedup wrote: a JSON Lines file (.gz and .zst too), a
    Parquet file, a partitioned output folder (-o DIR/; its manifest is read too), a URL
    (s3://bucket/out.jsonl.gz) or "-" for stdin. Anything else is refused (exit 2).
    Streamed and counted: millions of records in a few MB.

    \b
    Examples:
      newsclean report clean.jsonl --rejects rejects.jsonl --manifest run.json
      newsclean report clean.jsonl.gz --html report.html
    """
    from cli.exits import safe_message
    from cli.show import Show
    from corpus import MissingBackend, NotOutput, atomic_output, describe, is_url, local, read_manifest
    from corpus import build_report as build
    from corpus import render_report_html as render

    show = Show("report", no_color=no_color)
    source: str | Any = sys.stdin.buffer if output == "-" else local(output)
    if output != "-":
        _check_input(source)
    if html_path:
        _check_output(html_path, "--html")
    if manifest:
        try:
            read_manifest(Path(manifest))
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--manifest") from err
    try:
        with show.progress(None) as progress:
            counted = build(source, Path(rejects) if rejects else None, Path(manifest) if manifest else None,
                            on_progress=lambda n: progress.input())
    except NotOutput as err:
        raise click.BadParameter(str(err), param_hint="OUT") from err
    except (OSError, ImportError, MissingBackend) as err:
        raise click.ClickException(str(err) or describe(err)) from err
    if html_path:
        if not is_url(html_path):
            try:
                Path(html_path).resolve().parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise click.BadParameter(str(err), param_hint="--html") from err
        with atomic_output(html_path) as handle:
            handle.write(render(counted, Path(output.rstrip("/")).name or output))
    if as_json:
        click.echo(json.dumps(counted.as_dict(), ensure_ascii=False, indent=1))
        return
    _print_report(show, counted, output)
    if html_path:
        click.echo(safe_message(f"newsclean report: wrote {html_path}"), err=True)


def _check_input(output: str) -> None:
    """The output to report on is there (a URL: its backend is installed), before any counting."""
    from corpus import MissingBackend, check_backend, is_url

    if is_url(output):
        try:
            check_backend(output)
        except MissingBackend as err:
            raise click.BadParameter(str(err), param_hint="OUT") from err
    elif not Path(output).exists():
        raise click.BadParameter(f"no such file or folder: {output}", param_hint="OUT")


def _check_output(path: str, option: str) -> None:
    """Before any counting: the page can be written. Folders that are not there yet are made when it is
    (``--html reports/DAY.html``, as the README's morning command has it); a folder that cannot be made
    (a file in the way, no permission) is a usage error naming the option, not a traceback."""
    from corpus import MissingBackend, check_writable, is_url

    try:
        if not is_url(path):
            ancestor = Path(path).resolve().parent
            while not ancestor.exists():
                ancestor = ancestor.parent
            if not ancestor.is_dir():
                raise NotADirectoryError(f"cannot make a folder for {path}: {ancestor} is not a folder")
            if not os.access(ancestor, os.W_OK):
                raise PermissionError(f"cannot make a folder for {path} in {ancestor}")
            if ancestor != Path(path).resolve().parent:
                return  # check_writable would say "no such folder": it will be made
        check_writable(path)
    except (OSError, MissingBackend) as err:
        raise click.BadParameter(str(err), param_hint=option) from err


def _print_report(show: Any, counted: Any, name: str) -> None:  # noqa: ANN401 - cli.show.Show, corpus.report.summary.Report
    from rich.table import Table

    from corpus import group_title

    console = show.console(stdout=True)
    if not console.is_terminal:
        console.width = 1000  # a log: never wrap
    console.print(f"newsclean report: {name}: {counted.records:,} records, {counted.kept:,} kept, "
                  f"{counted.duplicates:,} duplicates" + (" in the file" if counted.run else ""),
                  markup=False, highlight=False)
    if counted.run_line():
        console.print(f"newsclean report: {counted.run_line()}", markup=False, highlight=False)

    def table(title: str, rows: list[tuple[str, Any]], *headers: str) -> None:
        console.print(f"\n{title}", style=None if show.plain else "bold", markup=False, highlight=False)
        grid = Table(box=None, pad_edge=False, show_header=bool(headers))
        for i, header in enumerate(headers or ("", "")):
            grid.add_column(header, justify="right" if i == len(headers or ("", "")) - 1 else "left",
                            overflow="fold")
        for row in rows:
            grid.add_row(*(str(cell) for cell in row))
        console.print(grid)

    table("languages", counted.languages.most_common(10))
    table("text length (words)", [(f"{lo}+", n) for lo, n in sorted(counted.lengths.items())])
    table("duplicate groups by size", [(f"{size} copies", n) for size, n in sorted(counted.group_sizes.items())])
    table("largest duplicate groups", [(group_title(g), ", ".join(g.sources), g.size) for g in counted.largest],
          "title", "sites", "copies")
    table("lines removed by rule", counted.rule_lines.most_common())
    table("most frequent removed lines", [(rule, line, n) for rule, top in sorted(counted.removed_lines.items())
                                          for line, n in top.most_common(3)], "rule", "line", "times")
    table("rejects and skips by reason", counted.rejects.most_common())
    table("sources", counted.sources.most_common())
    table("sites", counted.sites.most_common())


@click.command()
@click.argument("path", metavar="FILE")
@click.option("--record", "number", type=click.IntRange(min=1), default=1, show_default=True,
              help="Which document of a container (WARC, JSONL) to explain, counting from 1.")
@click.option("--state", type=click.Path(exists=True, dir_okay=False),
              help="A --state index: say which earlier record this document duplicates.")
@click.option("--lang-backend", type=click.Choice(["langdetect", "langid"]), default="langdetect",
              show_default=True)
@click.option("--no-color", is_flag=True, help="No colours or styles (also NO_COLOR, TERM=dumb).")
def explain(path: str, number: int, state: str | None, lang_backend: str, no_color: bool) -> None:
    """Show one document's cleaning: each line kept or removed, and the rule that removed it.

    FILE is anything ingest reads; --record N picks a document inside a WARC or JSONL file.

    \b
    Examples:
      newsclean explain crawl/site/story.html
      newsclean explain CC-NEWS.warc.gz --record 12 --state nightly.db
    """
    from rich.markup import escape

    from cli.show import Show
    from corpus import Reject, StateError, explain_document, nth_document, printable

    show = Show("explain", no_color=no_color)
    try:
        raw = nth_document(path, number)
    except IndexError as err:
        raise click.BadParameter(str(err), param_hint="--record") from err
    if isinstance(raw, Reject):
        click.echo(printable(f"{raw.path}: rejected ({raw.reason}): {raw.message}"))
        sys.exit(1)
    try:
        result = explain_document(raw, lang_backend, state)
    except (StateError, sqlite3.DatabaseError) as err:  # as `state info` says it: exit 1, no traceback
        raise click.ClickException(str(err)) from err
    console = show.console(stdout=True)
    if not console.is_terminal:
        console.width = 1000
    for key in ("where", "title", "author", "date", "url"):
        console.print(f"{key}: {printable(str(getattr(result, key) or '-'))}", markup=False)
    console.print(f"lang: {result.lang or '-'} ({result.lang_prob})", markup=False)
    if state:
        if result.stored:
            console.print(f"already stored: {result.stored[0]} (first seen {result.stored[1]}), this document "
                          "itself: delivered again, it is a re-delivery of that record", markup=False)
        said = ", ".join(f"{doc_id} (first seen {seen})" for doc_id, seen in result.earlier) or "none"
        console.print(f"duplicates of earlier records: {said}", markup=False)
    kept = sum(1 for line in result.lines if line.kept)
    console.print(f"lines: {kept} kept, {sum(len(line.removed) for line in result.lines)} removed", markup=False)
    mark = "" if show.plain or not console.is_terminal else "[red]"
    for line in result.lines:
        if line.kept:
            console.print(f"  {'kept':<15} │ {printable(line.kept)}", markup=False, highlight=False)
        for rule, text in line.removed:
            text = printable(text)
            console.print(f"{mark}- {rule:<15.15} │ {escape(text)}" if mark else f"- {rule:<15.15} │ {text}",
                          markup=bool(mark), highlight=False)
