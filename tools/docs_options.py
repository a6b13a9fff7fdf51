"""The options tables of docs/usage.md, made from the click definitions so that they cannot drift.

Each table sits under a marker ``<!-- options: COMMAND -->`` (``newsclean``, ``ingest``, ``state prune``, ...).
The first two columns (the option with its metavar, and its default) are generated from cli/main.py's click
commands; the third (what it does) is kept as written, so the prose can say more than ``--help`` does. A row for
an option the table did not have yet gets click's help text; a row for an option that no longer exists goes.

    python tools/docs_options.py          # rewrite docs/usage.md's tables
    python tools/docs_options.py --check  # exit 1 (and show the difference) when a table is out of date

``make docs`` runs the first; tests/test_docs.py runs the second's check.
"""

from __future__ import annotations

import difflib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
USAGE = ROOT / "docs" / "usage.md"
MARKER = re.compile(r"^<!-- options: ([a-z ]+) -->$")
HEADER = ["option", "default", "what it does"]


def commands() -> Iterator[tuple[str, click.Command]]:
    """('newsclean', the group), ('ingest', ...), ('state prune', ...): every command, in definition order."""
    from cli.main import main

    def walk(prefix: str, command: click.Command) -> Iterator[tuple[str, click.Command]]:
        yield prefix, command
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(name if prefix == "newsclean" else f"{prefix} {name}", sub)

    yield from walk("newsclean", main)


def options(command: click.Command) -> list[click.Option]:
    """The command's options, as --help lists them (-h/--help, which every command has, excepted)."""
    return [p for p in command.params if isinstance(p, click.Option) and not p.hidden]


def long_name(option: click.Option) -> str:
    return max(option.opts, key=len)


def escape(text: str) -> str:
    return text.replace("|", "\\|")


def metavar(option: click.Option) -> str:
    if option.is_flag or option.count:
        return ""
    if option.metavar:
        return option.metavar
    kind = option.type
    if isinstance(kind, click.Choice):
        return "|".join(map(str, kind.choices))
    if isinstance(kind, click.Path):
        return "DIR" if not kind.file_okay else "FILE" if not kind.dir_okay else "PATH"
    if isinstance(kind, click.types.IntParamType):
        return "N"
    if isinstance(kind, click.types.FloatParamType):
        return "SECONDS"
    return "TEXT"


def option_cell(option: click.Option) -> str:
    names = ", ".join(sorted(option.opts, key=len) + option.secondary_opts)
    return f"`{escape((names + ' ' + metavar(option)).strip())}`"


def default_cell(option: click.Option) -> str:
    if not option.expose_value:  # --version, --config: act when given, hold no value
        return "—"
    if isinstance(option.show_default, str):
        return option.show_default
    if option.is_flag:
        return "off"
    if option.default is None or option.default == () or option.default is getattr(click.core, "UNSET", None):
        return "—"
    return f"`{escape(str(option.default))}`"


def cells(row: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def names_in(cell: str) -> set[str]:
    """`-o, --output FILE` → {'-o', '--output'}."""
    return set(re.findall(r"(?<![\w-])(--?[a-z][a-z0-9-]*)", cell.replace("\\|", " ")))


def descriptions(rows: list[str]) -> dict[str, str]:
    """What each option's row says, by each of its names."""
    said = {}
    for row in rows:
        if re.match(r"\|\s*`-", row):
            option_names, *rest = cells(row)
            for name in names_in(option_names):
                said.setdefault(name, rest[-1] if rest else "")
    return said


def table(command: click.Command, old: list[str], elsewhere: dict[tuple[str, str], str]) -> list[str]:
    """The command's table. The descriptions of ``old`` rows (by the option's long name) are kept; a new row
    takes what another table says of the same option (same name, same help: one click option that several
    commands share), else click's help."""
    said = descriptions(old)
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---|"]
    for option in options(command):
        text = (said.get(long_name(option)) or elsewhere.get((long_name(option), option.help or ""))
                or escape(" ".join((option.help or "").split())))
        lines.append(f"| {option_cell(option)} | {default_cell(option)} | {text} |")
    return lines


def tables(lines: list[str]) -> Iterator[tuple[int, int, str]]:
    """(first line after the marker, line after the table, command name) of each options table."""
    for i, line in enumerate(lines):
        marker = MARKER.match(line)
        if marker:
            end = i + 1
            while end < len(lines) and lines[end].startswith("|"):
                end += 1
            yield i + 1, end, marker.group(1)


def render(text: str) -> str:
    """``text`` with every table under an options marker regenerated."""
    by_name = dict(commands())
    lines = text.split("\n")
    found = list(tables(lines))
    for _, _, name in found:
        if name not in by_name:
            raise SystemExit(f"{USAGE.name}: no command {name!r} in an options marker")
    elsewhere: dict[tuple[str, str], str] = {}  # (long name, click help) → description: shared options
    for start, end, name in found:
        said = descriptions(lines[start:end])
        for option in options(by_name[name]):
            if long_name(option) in said:
                elsewhere.setdefault((long_name(option), option.help or ""), said[long_name(option)])
    for start, end, name in reversed(found):
        lines[start:end] = table(by_name[name], lines[start:end], elsewhere)
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    text = USAGE.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in argv:
        if new != text:
            sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                       "docs/usage.md", "docs/usage.md (from the click definitions)"))
            return 1
        return 0
    if new != text:
        USAGE.write_text(new, encoding="utf-8")
        print("docs/usage.md: options tables rewritten from the click definitions")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
