"""The house's shape, checked from the modules' own imports (read with ``ast``, never by importing them):
no import circles, each stage using only what lies below it, ``cli/`` using only the library's face,
folders and modules of a size a newcomer can read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("corpus", "cli")

# The order the data flows through the library: a module may import its own stage and those before it.
STAGES = ("base", "inputs", "extract", "clean", "language", "dedup", "outputs", "run", "report", "face")
BASE_MODULES = {"corpus.document", "corpus.identity", "corpus.limits", "corpus.signals", "corpus.text",
                "corpus.version"}
MAX_MODULES_PER_FOLDER = 12
MAX_MODULE_LINES = 500
CLI_MAY_IMPORT = {"corpus", "click", "rich", "tomli"}  # and the standard library, cli; tomli: tomllib before 3.11


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def imports_of(path: Path, modules: dict[str, Path]) -> list[tuple[str, str, int]]:
    """(imported module, the names it gives, line) for every import in the file: top level, inside
    functions and under ``TYPE_CHECKING`` alike (a type-only import is a dependency too)."""
    found = []
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing package
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                found.append((submodule if submodule in modules else base, alias.name, node.lineno))
    return found


def graph() -> dict[str, dict[str, list[str]]]:
    """module -> {project module it imports: [names]}."""
    modules = project_modules()
    edges: dict[str, dict[str, list[str]]] = {name: {} for name in modules}
    for name, path in modules.items():
        for target, what, _ in imports_of(path, modules):
            if target in modules and target != name:
                edges[name].setdefault(target, []).append(what)
    return edges


def cycles(edges: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def describe_cycle(component: list[str], edges: dict[str, dict[str, list[str]]]) -> str:
    members = set(component)
    ties = [f"{a} -> {b} ({', '.join(sorted(set(names)))})" for a in component
            for b, names in sorted(edges[a].items()) if b in members]
    return "; ".join(ties)


def stage_of(module: str) -> str:
    if module == "corpus":
        return "face"
    if module in BASE_MODULES:
        return "base"
    return module.split(".")[1]


def test_the_cycle_finder_finds_a_circle_and_names_what_ties_it():
    """The checker itself can fail: a made graph with a loop is reported with its names."""
    made = {"a": {"b": ["X"]}, "b": {"c": ["Y"]}, "c": {"a": ["Z"]}, "d": {"a": ["W"]}}
    found = cycles(made)
    assert found == [["a", "b", "c"]]
    assert describe_cycle(found[0], made) == "a -> b (X); b -> c (Y); c -> a (Z)"


def test_no_import_circles():
    edges = graph()
    found = cycles(edges)
    assert not found, "import circles: " + " | ".join(describe_cycle(c, edges) for c in found)


def test_each_stage_uses_only_what_lies_below_it():
    edges = graph()
    upward = []
    for module, targets in edges.items():
        if not module.startswith("corpus"):
            continue
        rank = STAGES.index(stage_of(module))
        for target, names in targets.items():
            if target.startswith("corpus") and STAGES.index(stage_of(target)) > rank:
                upward.append(f"{module} ({stage_of(module)}) imports {target} ({stage_of(target)}): {names}")
    assert not upward, "\n".join(upward)


def test_no_library_module_imports_the_face():
    """The face imports every stage (lazily); a stage that imported it back would close a circle at run time."""
    edges = graph()
    offenders = [m for m, targets in edges.items() if m.startswith("corpus.") and "corpus" in targets]
    assert not offenders


def test_cli_imports_only_the_library_face():
    import sys

    modules = project_modules()
    stdlib = set(sys.stdlib_module_names)
    outside = []
    for name, path in modules.items():
        if not name.startswith("cli"):
            continue
        for target, what, line in imports_of(path, modules):
            top = target.split(".")[0]
            if target.startswith("cli") or top in stdlib or top == "__future__":
                continue
            if target not in CLI_MAY_IMPORT and top not in CLI_MAY_IMPORT - {"corpus"}:
                outside.append(f"{path.relative_to(ROOT)}:{line} imports {target} ({what})")
    assert not outside, "\n".join(outside)


def test_every_name_of_the_face_resolves():
    import corpus

    for name in corpus.__all__:
        assert getattr(corpus, name) is not None, name
    with pytest.raises(AttributeError):
        corpus.no_such_name  # noqa: B018 - the face refuses what it does not offer


@pytest.mark.parametrize("package", PACKAGES)
def test_folders_and_modules_stay_readable(package):
    too_long = []
    for path in sorted((ROOT / package).rglob("*.py")):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    crowded = []
    for folder in [ROOT / package, *[p for p in (ROOT / package).rglob("*") if p.is_dir()]]:
        count = sum(1 for p in folder.glob("*.py") if p.name != "__init__.py")
        if count > MAX_MODULES_PER_FOLDER:
            crowded.append(f"{folder.relative_to(ROOT)}: {count} modules")
    assert not too_long and not crowded, too_long + crowded
