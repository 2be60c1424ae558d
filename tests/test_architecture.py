"""The house rules of docs/architecture.md, checked on the source: imports run one way down the pipeline.

Every import counts, at module level or inside a function, under ``TYPE_CHECKING`` or not: a lazy import
still ties two modules together. Each failure names the offending import as ``module:line``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import complaint_rules

PACKAGE = Path(complaint_rules.__file__).parent

# The pipeline, lowest first (docs/architecture.md). A module may import from its own layer and from the
# layers below it; never from a layer above. Names are module paths below the package; a name covers its
# submodules ("analysis" is every module of the analysis package).
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("core", ("span", "errors", "limits", "currencies", "ir", "fields")),
    ("calendars", ("calendars",)),
    ("syntax", ("language.frontend", "language.printer", "language.yaml_printer", "language.schema")),
    ("check", ("language.overlay", "language.checker")),
    ("values", ("engine.decision", "engine.record")),
    ("engine", ("engine.lifecycle", "engine.codegen", "engine.interpreter", "engine.compiler", "engine.followup")),
    ("columnar", ("engine.arrow_decision", "engine.columnar_times", "engine.columnar_arrays", "engine.columnar")),
    ("load", ("policy", "versions")),
    ("host", ("host",)),
    ("io", ("workers", "batch", "arrow_io", "spark", "logs")),
    ("analysis", ("analysis",)),
    ("compare", ("compare",)),
    ("tools", ("testing",)),
    ("editor", ("editor",)),
    ("cli", ("cli", "__main__")),
    ("packages", ("language", "engine")),  # package docstrings only: they import nothing
    ("api", ("",)),  # the package's __init__: the public API, on top of everything
)


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _layer(module: str) -> int:
    best, rank = -1, None
    for i, (_, names) in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".") or name == "") and len(name) > best:
                best, rank = len(name), i
    assert rank is not None, f"{module} is in no layer: place it in LAYERS and in docs/architecture.md"
    return rank


def _imports(module: str) -> list[tuple[str, str, int, str]]:
    """(module, name or '', line, local name) for each import of one of the package's own modules."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module and node.module.partition(".")[0] == "complaint_rules":
                target = node.module.removeprefix("complaint_rules").lstrip(".")
            else:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                local = alias.asname or alias.name
                if sub in MODULES:
                    out.append((sub, "", node.lineno, local))
                else:
                    out.append((target, alias.name, node.lineno, local))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "complaint_rules" or alias.name.startswith("complaint_rules."):
                    target = alias.name.removeprefix("complaint_rules").lstrip(".")
                    out.append((target, "", node.lineno, alias.asname or alias.name.partition(".")[0]))
    return [item for item in out if item[0] != module]


GRAPH = {m: _imports(m) for m in MODULES}


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        _layer(module)


def test_imports_run_down_the_pipeline() -> None:
    upward = [
        f"{module}:{line} imports {target or 'complaint_rules'} ({LAYERS[_layer(target)][0]}), "
        f"above its own layer ({LAYERS[_layer(module)][0]})"
        for module, imports in GRAPH.items()
        for target, _, line, _ in imports
        if _layer(target) > _layer(module)
    ]
    assert not upward, "\n".join(upward)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    edges = {m: sorted({t for t, *_ in GRAPH[m] if t in MODULES}) for m in MODULES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in MODULES:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    component.append(top)
                    if top == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def test_no_import_circles() -> None:
    lines = []
    for component in _cycles():
        members = set(component)
        links = [f"{m}:{line} imports {t}" for m in component for t, _, line, _ in GRAPH[m] if t in members]
        lines.append(" <-> ".join(component) + "\n    " + "\n    ".join(links))
    assert not lines, "import circles:\n" + "\n".join(lines)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_module_borrows_a_private_name() -> None:
    """``from .other import _name`` (and ``other._name`` on an imported module) only within one module.

    A private module (``_paths``, ``_yaml_nodes``) serves the modules of its own package only.
    """
    borrowed = []
    for module, imports in GRAPH.items():
        modules_by_local = {}
        for target, name, line, local in imports:
            if name and _private(name):
                borrowed.append(f"{module}:{line} imports the private {target}.{name}")
            last = target.rpartition(".")[2]
            if _private(last) and target.rpartition(".")[0] != module.rpartition(".")[0]:
                borrowed.append(f"{module}:{line} imports the private module {target} of another package")
            if not name:
                modules_by_local[local] = target
        for node in ast.walk(ast.parse(MODULES[module].read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr)
                    and node.value.id in modules_by_local):  # fmt: skip
                owner = modules_by_local[node.value.id]
                borrowed.append(f"{module}:{node.lineno} reads the private {owner}.{node.attr}")
    assert not borrowed, "\n".join(sorted(set(borrowed)))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_long_modules_say_why(module: str) -> None:
    """A module over 600 lines says at its top why it stays one module (docs/architecture.md)."""
    text = MODULES[module].read_text(encoding="utf-8")
    if text.count("\n") <= 600:
        return
    head = ast.get_docstring(ast.parse(text)) or ""
    lines = text.count("\n")
    assert "One module:" in head, f"{module} has {lines} lines and its docstring gives no 'One module:' why"


def test_the_check_names_the_offending_import(tmp_path: Path) -> None:
    """The checks above can fail: an upward import and a borrowed private name are both caught and named."""
    global GRAPH
    saved = GRAPH
    try:
        GRAPH = {**saved, "ir": [*saved["ir"], ("engine.compiler", "_Plan", 7, "_Plan")]}
        upward = r"ir:7 imports engine.compiler \(engine\), above its own layer \(core\)"
        with pytest.raises(AssertionError, match=upward):
            test_imports_run_down_the_pipeline()
        with pytest.raises(AssertionError, match=r"ir:7 imports the private engine.compiler\._Plan"):
            test_no_module_borrows_a_private_name()
        GRAPH = {**saved, "span": [*saved["span"], ("errors", "", 3, "errors")]}
        with pytest.raises(AssertionError, match=r"errors <-> span"):
            test_no_import_circles()
    finally:
        GRAPH = saved


TESTS = Path(__file__).parent


def test_tests_use_public_names() -> None:
    """The tests reach the package through public or documented names (docs/architecture.md), never ``_name``."""
    borrowed = []
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("complaint_rules"):
                for alias in node.names:
                    if _private(alias.name):
                        borrowed.append(f"{path.relative_to(TESTS)}:{node.lineno} imports {node.module}.{alias.name}")
                    elif f"{node.module.removeprefix('complaint_rules').lstrip('.')}.{alias.name}".lstrip(".") in MODULES:
                        modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("complaint_rules") and alias.asname:
                        modules.add(alias.asname)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr)
                    and node.value.id in modules):  # fmt: skip
                borrowed.append(f"{path.relative_to(TESTS)}:{node.lineno} reads {node.value.id}.{node.attr}")
    assert not borrowed, "\n".join(borrowed)
