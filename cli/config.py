"""``--config FILE``: option defaults from TOML, below flags and NEWSCLEAN_* variables.

    [defaults]          # every command that has the option
    workers = 4
    rejects = "rejects.jsonl"

    [ingest]            # one command's own
    state = "nightly.db"
    lang = "en,de"

Keys are the long option names (``max-bytes`` or ``max_bytes``).
"""

from __future__ import annotations

import sys
from typing import Any

import click


def _read_toml(path: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with open(path, "rb") as handle:
        return tomllib.load(handle)


def load_config(ctx: click.Context, param: click.Parameter, path: str | None) -> None:
    """Turn the file into click's default_map, keyed by each command's parameter names."""
    if not path:
        return
    try:
        data = _read_toml(path)
    except (OSError, ValueError) as err:
        raise click.BadParameter(f"{path}: {err}", param_hint="--config") from err
    shared = data.get("defaults", {})
    default_map: dict[str, dict[str, Any]] = {}
    assert isinstance(ctx.command, click.Group)
    for name, command in ctx.command.commands.items():
        names = {opt.lstrip("-").replace("-", "_"): p.name for p in command.params for opt in p.opts
                 if opt.startswith("--")}
        wanted = {**shared, **data.get(name, {})}
        mapped = {names[key.replace("-", "_")]: value for key, value in wanted.items()
                  if key.replace("-", "_") in names}
        unknown = set(data.get(name, {})) - {k for k in data.get(name, {}) if k.replace("-", "_") in names}
        if unknown:
            raise click.BadParameter(f"{path}: [{name}] has no option {', '.join(sorted(unknown))}",
                                     param_hint="--config")
        if mapped:
            default_map[name] = mapped
    ctx.default_map = {**(ctx.default_map or {}), **default_map}
