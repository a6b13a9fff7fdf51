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
    commands = ctx.command.commands if isinstance(ctx.command, click.Group) else {}
    unknown_sections = sorted(set(data) - {"defaults", *commands})
    if unknown_sections:
        raise click.BadParameter(f"{path}: no section [{'], ['.join(unknown_sections)}]; the sections are "
                                 f"[defaults] and one per command: {', '.join(f'[{c}]' for c in sorted(commands))}",
                                 param_hint="--config")
    for section, table in data.items():
        if not isinstance(table, dict):
            raise click.BadParameter(f"{path}: {section} is a value, not a [{section}] section", param_hint="--config")
    options = {name: {opt.lstrip("-").replace("-", "_"): p for p in command.params if isinstance(p, click.Option)
                      for opt in p.opts if opt.startswith("--")}
               for name, command in commands.items()}
    shared = data.get("defaults", {})
    everywhere = {key for names in options.values() for key in names}
    unknown = sorted(key for key in shared if key.replace("-", "_") not in everywhere)
    if unknown:
        raise click.BadParameter(f"{path}: [defaults] has {', '.join(unknown)}, which no command has",
                                 param_hint="--config")
    default_map: dict[str, dict[str, Any]] = {}
    for name in commands:
        own = data.get(name, {})
        unknown = sorted(key for key in own if key.replace("-", "_") not in options[name])
        if unknown:
            raise click.BadParameter(f"{path}: [{name}] has no option {', '.join(unknown)}", param_hint="--config")
        wanted = {**{k: v for k, v in shared.items() if k.replace("-", "_") in options[name]}, **own}
        mapped = {}
        for key, value in wanted.items():
            param = options[name][key.replace("-", "_")]
            section = name if key in own else "defaults"
            mapped[param.name] = _checked(path, section, key, param, value, ctx)
        if mapped:
            default_map[name] = mapped
    ctx.default_map = {**(ctx.default_map or {}), **default_map}


def _checked(path: str, section: str, key: str, param: click.Option, value: Any, ctx: click.Context) -> Any:  # noqa: ANN401
    """The value as the option takes it, or a usage error naming the key (a table, a list where one value
    goes, a number where a path goes, or whatever the option's type refuses)."""
    many = param.multiple or param.nargs != 1
    values = value if many and isinstance(value, list) else [value] if many else None
    scalars = values if values is not None else [value]
    wanted = "a list of values" if many else "one value"
    if isinstance(value, dict) or (not many and isinstance(value, list)) or any(
            isinstance(v, (dict, list)) for v in scalars):
        raise click.BadParameter(f"{path}: [{section}] {key} = {value!r}: give {wanted}", param_hint="--config")
    if isinstance(param.type, click.Path) and not all(isinstance(v, str) for v in scalars):
        raise click.BadParameter(f"{path}: [{section}] {key} = {value!r}: give a path in quotes",
                                 param_hint="--config")
    try:
        for v in scalars:
            param.type.convert(v, param, ctx)
    except click.BadParameter as err:
        raise click.BadParameter(f"{path}: [{section}] {key} = {value!r}: {err.message}",
                                 param_hint="--config") from None
    except (TypeError, ValueError) as err:
        raise click.BadParameter(f"{path}: [{section}] {key} = {value!r}: {err}", param_hint="--config") from None
    return values if values is not None else value
