"""The two sides of a diff: a loaded Policy, an IR, a file, or a git revision spec ``REV:path``."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import ir
from ..errors import ComplaintRulesError
from ..policy import Policy, check_resolved, display_path, parse_file, with_calendar_data

# ``policies/dealer-versions@2027-03-01``: the version of a policy set (a folder) in force on a date.
_AT_DATE = re.compile(r"^(?P<folder>.+)@(?P<date>\d{4}-\d{2}-\d{2})$")
# ``HEAD~1:policies/x.policy``, ``main:x.policy``, ``a1b2c3:x.policy``; not ``C:\x`` (a Windows drive).
_GIT_SPEC = re.compile(r"^(?P<rev>[^:\s][^:]*):(?P<path>[^\\].*)$")


class DiffSourceError(ComplaintRulesError):
    """A side of the diff that cannot be read: no such file, or no such git revision or path."""


@dataclass
class Side:
    """One side: its label for reports, the policy as written and resolved, and a Policy for evaluation."""

    label: str
    source: ir.Policy
    resolved: ir.Policy
    path: str | None = None
    _policy: Policy | None = None

    @property
    def policy(self) -> Policy:
        """The side as a loaded Policy (compiled on first evaluation)."""
        if self._policy is None:
            self._policy = Policy(self.source, self.resolved, self.path)
        return self._policy


def resolve(spec: Any, cwd: str | os.PathLike | None = None) -> Side:
    """A Side from a Policy, an ``ir.Policy``, a path, or ``REV:path`` (``extends`` read from the same revision)."""
    if isinstance(spec, Policy):
        return Side(spec.path or spec.id, spec.source, spec.ir, spec.path, spec)
    if isinstance(spec, ir.Policy):
        return Side(spec.header.id, spec, spec)
    if not isinstance(spec, (str, os.PathLike)):
        raise TypeError(f"cannot diff a {type(spec).__name__}: give a Policy, a path or 'REV:path'")
    text = os.fspath(spec)
    base = Path(cwd) if cwd is not None else Path.cwd()
    path = Path(text) if Path(text).is_absolute() else base / text
    at = _AT_DATE.match(text)
    if at is not None and not path.is_file():
        return _version_at(at["folder"], at["date"], base)
    if path.is_file():
        source, resolved = parse_file(path)
        resolved = with_calendar_data(resolved)
        _check(resolved)
        return Side(display_path(path), source, resolved, display_path(path))
    match = _GIT_SPEC.match(text)
    if match is None or len(match["rev"]) == 1 and match["rev"].isalpha() and os.name == "nt":
        raise DiffSourceError(f"{text}: no such file (nor a git revision spec REV:path)")
    rev, rel = match["rev"], match["path"]
    reader = _GitReader(rev, base)
    try:
        source, resolved = parse_file(Path(os.path.normpath(rel)), read=reader)
    except FileNotFoundError as exc:
        raise DiffSourceError(f"{text}: {exc}") from None
    resolved = with_calendar_data(resolved)
    _check(resolved)
    return Side(text, source, resolved, text)


def _version_at(folder: str, date: str, base: Path) -> Side:
    """The version of the policy set in ``folder`` in force on ``date``, labelled ``folder@date (file)``."""
    import datetime as dt

    from ..versions import load_set

    where = Path(folder) if Path(folder).is_absolute() else base / folder
    if not where.is_dir():
        raise DiffSourceError(f"{folder}@{date}: {folder} is not a folder of policy versions")
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise DiffSourceError(f"{folder}@{date}: {date} is not a date") from None
    try:
        policy = load_set(where).at(day)
    except ValueError as exc:
        raise DiffSourceError(f"{folder}@{date}: {exc}") from None
    return Side(f"{folder}@{date} ({policy.path})", policy.source, policy.ir, policy.path, policy)


def _check(resolved: ir.Policy) -> None:
    try:
        check_resolved(resolved)
    except ImportError:  # the checker's record schema is not installed in this tree: parse errors still count
        pass


class _GitReader:
    """Reads files of one git revision; paths are relative to the working directory, as on the command line."""

    def __init__(self, rev: str, cwd: Path):
        self.rev = rev
        self.cwd = cwd

    def __call__(self, path: Path) -> str:
        rel = path.as_posix()
        spec = f"{self.rev}:{rel}" if rel.startswith("/") else f"{self.rev}:./{rel}"
        try:
            done = subprocess.run(["git", "show", spec], cwd=self.cwd, capture_output=True, check=False)
        except FileNotFoundError:
            raise DiffSourceError("git is not installed: cannot read a revision spec") from None
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise FileNotFoundError(f"git show {spec}: {message[-1] if message else 'failed'}")
        try:
            return done.stdout.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DiffSourceError(f"{spec}: not UTF-8 text (byte {exc.start})") from None
