"""A small mutation-testing driver: plant one bug at a time in a module and see whether its tests notice.

    python bench/mutate.py src/complaint_rules/engine/followup.py tests/test_followup.py tests/test_mutants_followup.py \\
        --max-mutants 60 --timeout 120

For the module, every single-point mutation from a fixed list of AST operator swaps is enumerated in source
order: a comparison flipped (``==``/``!=``, ``<``/``>=``, ``<=``/``>``, ``in``/``not in``, ``is``/``is not``),
``and``/``or`` swapped, ``+``/``-`` swapped, an integer constant plus one, a ``not`` removed. Each is applied in
a temporary copy of the project (the worktree itself is never changed), the given test files run there with
``-x -q -p no:randomly``, and the mutant counts as killed when they fail (or time out). The survivors are
printed with their line numbers; a survivor is either a missing test or an equivalent mutant (one that cannot
change behaviour, e.g. a cache-size constant), which only reading it can tell.

``--lines 600-610`` limits the mutants to a line range, ``--max-mutants`` takes an evenly spaced sample of at
most that many, ``--list`` only prints them. Runs outside CI (it is slow: one test run per mutant).
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_COMPARE_SWAPS = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.LtE: ast.Gt, ast.Gt: ast.LtE,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
_BIN_SWAPS = {ast.Add: ast.Sub, ast.Sub: ast.Add}
_SYMBOL = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.GtE: ">=", ast.LtE: "<=", ast.Gt: ">", ast.In: "in",
    ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.And: "and", ast.Or: "or",
}  # fmt: skip


@dataclass(frozen=True)
class Mutant:
    index: int  # the k-th mutation point of the module, in ast.walk order
    line: int
    what: str


def _points(tree: ast.AST):
    """Yield (node, description, apply) for every mutation point; ``apply()`` mutates the node in place."""
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
    }  # fmt: skip
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for k, op in enumerate(node.ops):
                swap = _COMPARE_SWAPS.get(type(op))
                if swap is not None:
                    yield node, f"{_SYMBOL[type(op)]} -> {_SYMBOL[swap]}", _setter(node.ops, k, swap())
        elif isinstance(node, ast.BoolOp):
            other = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield node, f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[other]}", _attr(node, "op", other())
        elif isinstance(node, ast.BinOp) and type(node.op) in _BIN_SWAPS:
            swap = _BIN_SWAPS[type(node.op)]
            yield node, f"{_SYMBOL[type(node.op)]} -> {_SYMBOL[swap]}", _attr(node, "op", swap())
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "not removed", _unwrap(tree, node)
        elif (
            isinstance(node, ast.Constant) and type(node.value) is int and id(node) not in docstrings
        ):
            yield node, f"{node.value} -> {node.value + 1}", _attr(node, "value", node.value + 1)


def _setter(seq, k, value):
    def apply():
        seq[k] = value

    return apply


def _attr(node, name, value):
    def apply():
        setattr(node, name, value)

    return apply


def _unwrap(tree, target):
    def apply():
        for parent in ast.walk(tree):
            for field, old in ast.iter_fields(parent):
                if old is target:
                    setattr(parent, field, target.operand)
                elif isinstance(old, list):
                    for i, item in enumerate(old):
                        if item is target:
                            old[i] = target.operand

    return apply


def mutants(source: str) -> list[Mutant]:
    tree = ast.parse(source)
    return [Mutant(k, node.lineno, what) for k, (node, what, _) in enumerate(_points(tree))]


def mutated(source: str, index: int) -> str:
    tree = ast.parse(source)
    for k, (_, _, apply) in enumerate(_points(tree)):
        if k == index:
            apply()
            return ast.unparse(ast.fix_missing_locations(tree))
    raise IndexError(index)


def _sample(found: list[Mutant], limit: int | None) -> list[Mutant]:
    if limit is None or len(found) <= limit:
        return found
    step = len(found) / limit
    return [found[int(i * step)] for i in range(limit)]


def _copy_project(into: Path) -> None:
    skip = shutil.ignore_patterns(".venv", ".git", ".hypothesis", "__pycache__", ".pytest_cache", "*.pyc")
    for entry in ROOT.iterdir():
        if entry.name in (".venv", ".git", ".hypothesis", ".pytest_cache"):
            continue
        if entry.is_dir():
            shutil.copytree(entry, into / entry.name, ignore=skip)
        else:
            shutil.copy2(entry, into / entry.name)


def _run(copy: Path, tests: list[str], timeout: float) -> str:
    env = dict(os.environ, PYTHONPATH=str(copy / "src"), PYTHONDONTWRITEBYTECODE="1")
    env.pop("HYPOTHESIS_PROFILE", None)  # never the long profile
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p", "no:cacheprovider", *tests]
    try:
        done = subprocess.run(cmd, cwd=copy, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "passed" if done.returncode == 0 else "failed" if done.returncode == 1 else f"error {done.returncode}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="the source file to mutate, e.g. src/complaint_rules/calendars/__init__.py")
    parser.add_argument("tests", nargs="+", help="the test files (or node ids) that should kill the mutants")
    parser.add_argument("--max-mutants", type=int, default=None, help="an evenly spaced sample of at most N")
    parser.add_argument("--lines", default=None, help="only mutants on lines A-B")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per test run (a timeout kills)")
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    args = parser.parse_args(argv)

    module = Path(args.module).resolve()
    relative = module.relative_to(ROOT)
    source = module.read_text(encoding="utf-8")
    found = mutants(source)
    if args.lines:
        low, _, high = args.lines.partition("-")
        found = [m for m in found if int(low) <= m.line <= int(high or low)]
    found = _sample(sorted(found, key=lambda m: (m.line, m.index)), args.max_mutants)
    if args.list:
        for m in found:
            print(f"{relative}:{m.line}: {m.what}")
        return 0

    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        copy = Path(tmp)
        _copy_project(copy)
        target = copy / relative
        baseline = _run(copy, args.tests, args.timeout)
        if baseline != "passed":
            print(f"the tests do not pass on the unmutated code ({baseline}): nothing to measure", file=sys.stderr)
            return 2
        killed, survivors, started = 0, [], time.monotonic()
        try:
            for n, m in enumerate(found, 1):
                target.write_text(mutated(source, m.index), encoding="utf-8")
                outcome = _run(copy, args.tests, args.timeout)
                if outcome == "passed":
                    survivors.append(m)
                else:
                    killed += 1
                print(f"[{n}/{len(found)}] {relative}:{m.line}: {m.what}: {'SURVIVED' if outcome == 'passed' else outcome}",
                      flush=True)  # fmt: skip
        finally:
            target.write_text(source, encoding="utf-8")
    total = len(found)
    score = 100 * killed / total if total else 100.0
    print(f"\n{relative}: {killed}/{total} mutants killed ({score:.1f}%) in {time.monotonic() - started:.0f}s")
    for m in survivors:
        print(f"  survived: {relative}:{m.line}: {m.what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
