"""``newsclean state``: inspect and prune the --state index of a nightly job."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import click


@click.group()
def state() -> None:
    """Inspect and prune a --state dedup index.

    \b
    Examples:
      newsclean state info nightly.db
      newsclean state check nightly.db
      newsclean state prune nightly.db --before 2026-01-01
      newsclean state export nightly.db nightly-parquet/
      newsclean state info s3://bucket/nightly-state/
    """


class StatePath(click.Path):
    """A state that exists: a local file or folder, or a Parquet state in object storage (s3://...), which
    is checked when it is opened."""

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201 - click's signature
        from corpus import is_url

        return value if is_url(str(value)) else super().convert(value, param, ctx)


def refuse_url(path: str, what: str) -> None:
    from corpus import is_url

    if is_url(path):
        raise click.BadParameter(f"{what} takes local paths; a state in S3 is read and written by runs and by "
                                 "state info|check|prune|unlock (copy a local Parquet state folder into S3 whole, "
                                 "with any tool, to start one there)")


def plural(n: int, word: str) -> str:
    from corpus import plural as counted

    return counted(n, word)


def _open_existing(path: str):  # noqa: ANN202 - corpus.dedup.state.StateIndex or ParquetState, imported when run
    from corpus import open_existing_state

    return open_existing_state(path)


@state.command("info")
@click.argument("path", type=StatePath(exists=True))
def state_info(path: str) -> None:
    """Records, size on disk, oldest and newest first-seen times, MinHash parameters (JSON).

    \b
    Example:
      newsclean state info nightly.db | jq .records
    """
    from corpus import StateError

    try:
        index = _open_existing(path)
        try:
            click.echo(json.dumps(index.info(), indent=2))
        finally:
            index.close()
    except (StateError, sqlite3.DatabaseError) as err:
        raise click.ClickException(str(err)) from err


@state.command("check")
@click.argument("path", type=StatePath(exists=True))
def state_check(path: str) -> None:
    """Check a state's integrity (SQLite integrity_check; a Parquet folder's every part), schema and
    parameters; exit 1 if unsound.

    \b
    Example:
      newsclean state check nightly.db && cp nightly.db backup/
    """
    from corpus import ParquetState, StateError, integrity_problem, is_parquet_state

    if is_parquet_state(path):
        try:
            parquet = ParquetState(path)
            parquet.verify()
            info = parquet.info()
        except StateError as err:
            raise click.ClickException(str(err)) from err
        click.echo(f"{path}: ok (Parquet, schema {info['schema']}, {info['records']} records, {info['runs']} runs)")
        return
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problem = integrity_problem(db, thorough=True)
        finally:
            db.close()
        if problem:
            raise StateError(f"{path} is damaged: {problem}")
        index = _open_existing(path)
        info = index.info()
        index.close()
    except (StateError, sqlite3.DatabaseError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{path}: ok (schema {info['schema']}, {plural(info['records'], 'record')}, "
               f"{plural(info['runs'], 'run')})")


@state.command("prune")
@click.argument("path", type=StatePath(exists=True))
@click.option("--before", required=True, metavar="DATE",
              help="Forget records first seen before this date (YYYY-MM-DD, UTC midnight) or date-time "
                   "(YYYY-MM-DDTHH:MM[:SS], UTC unless it gives an offset such as +02:00).")
@click.option("--all-ok", is_flag=True, help="Allow a prune that removes every record.")
@click.option("--lock-wait", type=click.FloatRange(min=0), default=600, show_default=True,
              help="Seconds to wait for a run holding the state.")
def state_prune(path: str, before: str, all_ok: bool, lock_wait: float) -> None:
    """Remove old records so the index does not grow without bound; prints how many went.

    A prune that would remove every record is refused unless --all-ok is given.

    \b
    Example (keep 90 days, from cron):
      newsclean state prune nightly.db --before "$(date -u -d '90 days ago' +%F)"
    """
    from corpus import StateError, state_lock, utc_instant

    try:
        cutoff = utc_instant(before)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--before") from err
    try:
        with state_lock(path, lock_wait):  # the lock a run on this state takes (cli.run)
            index = _open_existing(path)
            try:
                total = index.info()["records"]
                if total and index.count_before(cutoff) == total and not all_ok:
                    every = "the only record was" if total == 1 else f"every one of the {total:,} records was"
                    raise StateError(f"{every} first seen before {cutoff}: nothing would remain "
                                     "(pass --all-ok to do it anyway)")
                removed = index.prune(cutoff)
                remaining = index.info()["records"]
            finally:
                index.close()
    except (StateError, sqlite3.DatabaseError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"removed {plural(removed, 'record')} first seen before {cutoff}; {remaining:,} "
               f"{'remains' if remaining == 1 else 'remain'}")


@state.command("unlock")
@click.argument("path")
def state_unlock(path: str) -> None:
    """Remove the lock of a state in S3 left by a run that was killed outright (SIGKILL, a lost machine).

    Make sure the run it names is gone first: a lock removed under a live run lets another run start,
    and the live run's commit is then refused (its state.json changed), never mixed in.

    \b
    Example:
      newsclean state unlock s3://bucket/nightly-state/
    """
    from corpus import StateError, unlock_state

    try:
        held = unlock_state(path)
    except StateError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{path}: not locked" if held is None else f"{path}: unlocked ({held})")


@state.command("export")
@click.argument("sqlite_state", type=click.Path(exists=True, dir_okay=False))
@click.argument("parquet_dir", type=click.Path(file_okay=False))
def state_export(sqlite_state: str, parquet_dir: str) -> None:
    """Copy a SQLite state into a new Parquet state folder (for --executor dask on a cluster).

    \b
    Example:
      newsclean state export nightly.db /shared/nightly-state/
    """
    from corpus import ParquetState, copy_state

    refuse_url(parquet_dir, "export")
    _convert(sqlite_state, parquet_dir, lambda params: ParquetState(parquet_dir, params), copy_state)


@state.command("import")
@click.argument("parquet_dir", type=StatePath(exists=True, file_okay=False))
@click.argument("sqlite_state", type=click.Path(dir_okay=False))
def state_import(parquet_dir: str, sqlite_state: str) -> None:
    """Copy a Parquet state folder into a new SQLite state file.

    \b
    Example:
      newsclean state import /shared/nightly-state/ nightly.db
    """
    import os

    from corpus import StateError, import_state

    refuse_url(sqlite_state, "import")
    if os.path.exists(sqlite_state):
        raise click.ClickException(f"{sqlite_state} exists: import writes a new state file")
    try:
        copied = import_state(parquet_dir, sqlite_state)
    except StateError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"imported {plural(copied, 'record')} into {sqlite_state}")


def _convert(source_path: str, target_path: str, make_target, copy) -> None:  # noqa: ANN001

    from corpus import StateError

    if Path(target_path).exists() and any(Path(target_path).iterdir()):
        raise click.ClickException(f"{target_path} is not empty: export writes a new Parquet state")
    try:
        source = _open_existing(source_path)
        try:
            copied = copy(source, make_target(source.params))
        finally:
            source.close()
    except (StateError, sqlite3.DatabaseError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"exported {plural(copied, 'record')} to {target_path}")
