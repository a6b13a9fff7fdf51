"""``newsclean state``: inspect and prune the --state index of a nightly job."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

import click

from corpus.state import StateError, StateIndex, locked, stored_params


@click.group()
def state() -> None:
    """Inspect and prune a --state dedup index.

    \b
    Examples:
      newsclean state info nightly.db
      newsclean state prune nightly.db --before 2026-01-01
    """


def _open_existing(path: str) -> StateIndex:
    params = stored_params(path)
    if params is None:
        raise StateError(f"{path} is not a newsclean state")
    return StateIndex(path, params)


@state.command("info")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def state_info(path: str) -> None:
    """Records, size on disk, oldest and newest first-seen times, MinHash parameters (JSON).

    \b
    Example:
      newsclean state info nightly.db | jq .records
    """
    try:
        index = _open_existing(path)
        try:
            click.echo(json.dumps(index.info(), indent=2))
        finally:
            index.close()
    except (StateError, sqlite3.DatabaseError) as err:
        raise click.ClickException(str(err)) from err


@state.command("prune")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--before", required=True, metavar="DATE",
              help="Forget records first seen before this ISO date or time (UTC), e.g. 2026-01-01.")
@click.option("--lock-wait", type=click.FloatRange(min=0), default=600, show_default=True,
              help="Seconds to wait for a run holding the state.")
def state_prune(path: str, before: str, lock_wait: float) -> None:
    """Remove old records so the index does not grow without bound; prints how many went.

    \b
    Example (keep 90 days, from cron):
      newsclean state prune nightly.db --before "$(date -u -d '90 days ago' +%F)"
    """
    try:
        datetime.fromisoformat(before)
    except ValueError as err:
        raise click.BadParameter(f"not an ISO date: {before}", param_hint="--before") from err
    try:
        with locked(path, lock_wait):
            index = _open_existing(path)
            try:
                removed = index.prune(before)
                remaining = index.info()["records"]
            finally:
                index.close()
    except (StateError, sqlite3.DatabaseError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"removed {removed} records first seen before {before}; {remaining} remain")
