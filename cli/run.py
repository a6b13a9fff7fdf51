"""One run of ingest, clean or dedup: checks, outputs, state and what the person at the terminal sees.

Imported only when a command runs, so ``--help`` and ``--version`` stay fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

import click

from cli.exits import EXIT_FAILED, EXIT_OK, EXIT_REJECTS, exit_at_once, exit_status, safe_message, signal_name
from cli.show import Show
from corpus import (
    REPEATED_LINE_MIN_GROUPS,
    Ingest,
    IngestOptions,
    JsonlOut,
    MissingBackend,
    Reject,
    RunManifest,
    StagedOutputs,
    StateIndex,
    backend_available,
    check_format,
    check_writable,
    clashing_targets,
    describe,
    dumps,
    expand_languages,
    is_directory_target,
    is_parquet_state,
    is_url,
    local,
    make_executor,
    open_records,
    own_outputs,
    state_lock,
    state_refusal,
    walk,
)


def run_command(command: str, produce: Callable[[Ingest], Iterator[dict]], *, output: str | None,
                output_format: str | None = None, rejects: str | None, strict: bool, manifest: str | None,
                quiet: bool, verbose: bool, no_color: bool, debug: bool, state: str | None = None,
                lock_wait: float = 600, lang: str | None = None, lang_backend: str = "langdetect",
                count: Iterable[str] = (), inputs: Iterable[str] = (),
                **settings: Any) -> None:
    """One run of any command: checks first; then the outputs, written under temporary names; then the
    state commit; then the outputs renamed into place. A failure before the renames changes nothing."""
    show = Show(command, quiet=quiet, verbose=verbose, no_color=no_color)
    stdout = sys.stdout  # the real one, taken before anything (a progress bar) could stand in for it
    if output is None and stdout is None:
        raise click.UsageError("standard output is closed: give -o FILE for the records")
    if not backend_available(lang_backend):
        raise click.BadParameter(f"{lang_backend} is not installed: pip install -e '.[fast]' in the checkout",
                                 param_hint="--lang-backend")
    try:
        languages = expand_languages(lang, lang_backend)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--lang") from err
    output, rejects, manifest, state = (local(t) if t else t for t in (output, rejects, manifest, state))
    if state and is_url(state) and not state.lower().startswith(("s3://", "s3a://")):
        raise click.BadParameter("the state is a local SQLite file or Parquet folder, or a Parquet folder in S3 "
                                 "(s3://bucket/state/)", param_hint="--state")
    try:
        check_format(output, output_format)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--format" if output_format else "-o") from err
    if state and is_parquet_state(state):
        try:
            check_format(state, "parquet")
        except ValueError:
            raise click.BadParameter("a folder is a Parquet state, which needs pyarrow: pip install "
                                     "'newsclean[parquet]' (or give a file, for a SQLite state)",
                                     param_hint="--state") from None
    for target, option in ((output, "-o"), (rejects, "--rejects"), (state, "--state"), (manifest, "--manifest")):
        if target:
            try:
                check_writable(target)
            except (OSError, MissingBackend) as err:
                raise click.BadParameter(str(err), param_hint=option) from err
    if output and not is_url(output) and is_directory_target(output):
        folder = output.rstrip("/" + os.sep) or "."
        if os.path.isdir(folder) and os.listdir(folder) and not os.path.exists(os.path.join(folder, "_SUCCESS")):
            raise click.BadParameter(f"{folder} holds files that are not a newsclean output (no _SUCCESS): not "
                                     "replaced; give a new or empty folder", param_hint="-o")
    clash = clashing_targets((("-o", output), ("--rejects", rejects), ("--manifest", manifest), ("--state", state)),
                             (*count, *inputs))
    if clash:
        raise click.UsageError(clash)
    refusal = state_refusal(state) if state else None
    if refusal:
        raise click.BadParameter(refusal, param_hint="--state")
    options = IngestOptions(languages=languages, lang_backend=lang_backend,
                            repeated_line_min_groups=settings.pop("min_repeat", REPEATED_LINE_MIN_GROUPS),
                            own_outputs=tuple(t for t in (output, rejects, manifest, state) if t), **settings)
    try:
        executor = make_executor(options.executor, options.workers, options.lang_backend, options.scheduler)
    except ImportError as err:
        raise click.UsageError(str(err)) from err
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    in_folder = output is not None and is_directory_target(output)  # a partitioned output holds its manifest
    want_manifest = manifest or in_folder
    run_manifest = RunManifest(started, options.minhash, manifest_options(options)) if want_manifest else None
    try:
        with ExitStack() as stack:
            stack.callback(executor.close)
            index = _open_state(stack, state, options, lock_wait, show) if state else None
            progress = stack.enter_context(show.progress(_countable_files(count, options.own_outputs)))
            staged = StagedOutputs()
            stack.callback(staged.discard)  # however the run ends, no temporary file stays behind
            rejects_out = staged.open(rejects) if rejects else None

            def on_reject(reject: Reject) -> None:
                if rejects_out is not None:
                    rejects_out.write(dumps(asdict(reject)) + "\n")
                show.reject(reject)

            run = Ingest(options, on_file=progress.document, on_input=progress.input, on_reject=on_reject,
                         state=index, first_seen=started, manifest=run_manifest, executor=executor)
            out = open_records(staged, output, output_format, stdout, flush_each=options.stream)
            run.write_parts(out)  # on a cluster, the workers write a partitioned output's parts themselves
            for record in produce(run):
                out.write(record)
            if isinstance(out, JsonlOut):
                out.handle.flush()
            if run_manifest is not None:
                text = run_manifest.dumps(datetime.now(timezone.utc).isoformat(timespec="seconds"), run.stats)
                if manifest:
                    staged.open(manifest).write(text)
                if hasattr(out, "part_base"):  # a partitioned output (a folder, or a URL prefix)
                    out.manifest = text
            staged.finish()  # every output on disk under its temporary name
            run.save_state()
            staged.publish()
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(EXIT_OK)
    except KeyboardInterrupt as interrupt:  # Ctrl-C, SIGTERM, SIGHUP (cli.entry)
        said = f"newsclean: interrupted ({signal_name(interrupt)})"
        click.echo(said + ("; no output file was replaced" if output else ""), err=True)
        exit_at_once(exit_status(interrupt))
    except click.ClickException:
        raise
    except Exception as err:  # noqa: BLE001 - one clear line, not a traceback
        if debug:
            raise
        click.echo(safe_message(f"newsclean: error: {str(err) if str(err) else describe(err)}"), err=True)
        sys.exit(EXIT_FAILED)
    show.summary(run)
    if run.stats.files == 0:
        show.line(f"newsclean {command}: warning: no input found")
        if strict:
            sys.exit(EXIT_REJECTS)
    if strict and run.stats.failures:
        sys.exit(EXIT_REJECTS)


def _countable_files(paths: Iterable[str], own: tuple[str, ...]) -> int | None:
    """How many input files the PATH arguments hold (a cheap walk, leaving out the run's own outputs as
    the reader does), or None when stdin or a URL is among them."""
    paths = list(paths)
    if not paths or "-" in paths or any(map(is_url, paths)):  # listing a bucket twice is not worth a bar
        return None
    is_own = own_outputs(own)
    return sum(1 for path, _ in walk(paths) if not is_own(path))


def manifest_options(options: IngestOptions) -> dict[str, Any]:
    return {"languages": sorted(options.languages) if options.languages else None,
            "lang_backend": options.lang_backend, "keep_duplicates": options.keep_duplicates,
            "stream": options.stream, "workers": options.workers, "max_bytes": options.max_bytes,
            "timeout": options.timeout, "min_repeat": options.repeated_line_min_groups,
            "skip_rules": sorted(options.skip_rules)}


def _open_state(stack: ExitStack, path: str, options: IngestOptions, lock_wait: float, show: Show) -> StateIndex:
    """Lock, open and check the state (SQLite, or a Parquet folder, local or in S3); closed (and unlocked) when the
    run ends."""
    stack.enter_context(state_lock(path, lock_wait, announce=not show.quiet, holder=show.run_id))
    if is_parquet_state(path):
        from corpus import ParquetState

        parquet = ParquetState(path, options.minhash)
        stack.callback(parquet.close)
        return parquet  # type: ignore[return-value] - the same interface
    index = StateIndex(path, options.minhash)
    stack.callback(index.close)
    return index


def _silence_stdout() -> None:
    """After the reader of a pipe has gone, keep Python from complaining at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


