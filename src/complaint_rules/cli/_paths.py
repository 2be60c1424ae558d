"""Expanding the PATH arguments of sub-commands into policy files."""

from __future__ import annotations

from pathlib import Path

from ..policy import DSL_SUFFIXES, YAML_SUFFIXES


def policy_files(paths: list[str], suffixes: tuple[str, ...] = DSL_SUFFIXES + YAML_SUFFIXES) -> list[Path]:
    """Files named, and policy files below directories named, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in suffixes))
        elif path.exists():
            found.append(path)
        else:
            raise FileNotFoundError(f"{raw}: no such file or directory")
    return found
