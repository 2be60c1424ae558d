"""Loading policies: front end, overlays, checks; the public :class:`Policy`."""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import datetime as dt
import os
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, Literal

from . import ir, limits
from .errors import Diagnostics, PolicyError, PolicySyntaxError, RecordError
from .language.frontend import dsl
from .language.overlay import merge
from .language.printer import fingerprint, print_policy, strip_comments  # noqa: F401  (part of this module's API)
from .span import Source, Span

if TYPE_CHECKING:
    from .engine.compiler import CompiledPolicy
    from .engine.decision import Decision
    from .engine.followup import FollowUpReport

DSL_SUFFIXES = (".policy",)
YAML_SUFFIXES = (".yaml", ".yml")
# What evaluate does with a record received before the policy's `effective` date (docs/versions.md).
BEFORE_EFFECTIVE_CHOICES = ("allow", "error")
BEFORE_EFFECTIVE = "allow"

#: The syntaxes :func:`loads` reads: ``"yml"`` is ``"yaml"``, as the file suffix is.
Format = Literal["dsl", "yaml", "yml"]
#: A path as the API takes it.
PathLike = str | os.PathLike[str]


def parse_text(text: str, name: str, format: Format = "dsl", comments: bool = True) -> ir.Policy:
    """Run one front end on text; no overlays, no checks. ``comments=False``: the IR holds no comments."""
    if format == "dsl":
        return dsl.parse(text, name, comments)
    if format in ("yaml", "yml"):
        from .language.frontend import yaml as yaml_frontend

        return yaml_frontend.parse(text, name)
    raise ValueError(f"unknown policy format {format!r}; expected 'dsl' or 'yaml' (or 'yml')")


def format_of(path: PathLike) -> Literal["dsl", "yaml"]:
    """The syntax of a policy file, from its suffix; ValueError for a file that is not a policy."""
    suffix = Path(path).suffix.lower()
    if suffix in YAML_SUFFIXES:
        return "yaml"
    if suffix in DSL_SUFFIXES:
        return "dsl"
    raise ValueError(f"{path}: not a policy file (expected .policy, .yaml or .yml)")


def _read(path: Path) -> str:
    """A policy file's text: at most :data:`limits.MAX_POLICY_BYTES` of UTF-8 (errors at the bad byte)."""
    with open(path, "rb") as handle:
        data = handle.read(limits.MAX_POLICY_BYTES + 1)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a byte-order mark is not part of the policy
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        shown = Source(display_path(path), data.decode("utf-8", "replace"))
        raise PolicySyntaxError(f"not UTF-8 text ({exc.reason})", Span(shown, line, column)) from None
    return text  # one byte too many is refused by the front end, at the limit


def _base_path(
    path: Path, extends: str, root: Path, span: Span | None, fs: bool, diagnostics: Diagnostics,
    what: str = "'extends'", suffixes: tuple[str, ...] = DSL_SUFFIXES + YAML_SUFFIXES,
) -> Path | None:
    """The file ``extends`` (or a calendar ``data`` file, ``what``) names, if it may be read: relative,
    inside ``root``, a regular file with one of ``suffixes``, of bounded size."""
    shown = display_path if fs else str
    if PurePosixPath(extends).is_absolute() or PureWindowsPath(extends).is_absolute() or PureWindowsPath(extends).drive:
        diagnostics.add("structure", f"{what} takes a path relative to the policy, not {extends!r}", span)
        return None
    if Path(extends).suffix.lower() not in suffixes:
        diagnostics.add("structure", f"{what} names {extends!r}, which is not a "
                        f"{'policy' if suffixes != YAML_SUFFIXES else 'YAML'} file "
                        f"(expected {', '.join(suffixes)})", span)
        return None
    base = path.parent / extends
    inside = Path(os.path.normpath(base))
    top = Path(os.path.normpath(root))
    if fs:
        inside, top = base.resolve(), root.resolve()
        within = inside.is_relative_to(top)
    else:  # paths inside a git revision: "." is the top of the repository, nothing is above it
        rel = os.path.relpath(inside, top)
        within = rel != ".." and not rel.startswith(".." + os.sep)
    if not within:
        diagnostics.add("structure", f"{what} names {extends!r}, which is outside the policy root {shown(top)}", span)
        return None
    if not fs:
        return inside
    try:
        info = base.stat()
    except FileNotFoundError:
        diagnostics.add("name", f"{what} names {extends!r}, which does not exist", span)
        return None
    except OSError as exc:
        diagnostics.add("name", f"{what} names {extends!r}, which cannot be read ({exc.strerror})", span)
        return None
    if not stat.S_ISREG(info.st_mode):
        diagnostics.add("structure", f"{what} names {extends!r}, which is not a regular file", span)
        return None
    if info.st_size > limits.MAX_POLICY_BYTES:
        diagnostics.add("structure", f"{what} names {extends!r}, which is longer than "
                        f"{limits.MAX_POLICY_BYTES} bytes (the limit)", span)
        return None
    return base


def display_path(path: PathLike) -> str:
    """Paths in messages: relative to the working directory when below it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def parse_file(
    path: PathLike,
    _stack: tuple[Path, ...] = (),
    read: Callable[[Path], str] | None = None,
    root: PathLike | None = None,
    comments: bool = True,
) -> tuple[ir.Policy, ir.Policy]:
    """Parse a file and resolve its ``extends`` chain; returns (as written, resolved). Not checked.

    ``read`` reads a file's text (the default reads the file system; ``diff`` reads git revisions).
    ``extends`` may only name a policy file below ``root`` (default: the directory of ``path``).
    """
    path = Path(path)
    read = read or _read
    fs = read is _read
    root = Path(root) if root is not None else path.parent
    real = path.resolve() if fs else path
    kind = format_of(path)  # before reading: a file that is not a policy is never read
    text = read(path)
    source = _guarded(lambda: parse_text(text, display_path(path) if fs else str(path), kind, comments),
                      display_path(path) if fs else str(path))
    source = _with_own_data(source, path, text, read, root)
    if source.extends is None:
        return source, source
    diagnostics = Diagnostics()
    extends_span = _extends_span(text, display_path(path) if fs else str(path)) or source.span
    base_path = _base_path(path, source.extends, root, extends_span, fs, diagnostics)
    diagnostics.raise_if_any()
    assert base_path is not None
    base_real = base_path.resolve() if fs else base_path
    if base_real in (*_stack, real):
        shown = display_path if read is _read else str
        chain = " -> ".join(shown(p) for p in (*_stack, real, base_real))
        diagnostics.add("structure", f"'extends' makes a cycle: {chain}", extends_span)
        diagnostics.raise_if_any()
    try:
        _, base = parse_file(base_path, (*_stack, real), read, root, comments)
    except FileNotFoundError:
        diagnostics.add("name", f"'extends' names {source.extends!r}, which does not exist", extends_span)
        diagnostics.raise_if_any()
        raise
    resolved = merge(base, source, diagnostics)
    diagnostics.raise_if_any()
    return source, resolved


def _with_own_data(policy: ir.Policy, path: Path, text: str, read: Callable[[Path], str], root: Path) -> ir.Policy:
    """The policy with the calendar data file its header names loaded (relative to the policy file, and
    held to the same rules as ``extends``: inside ``root``, a regular YAML file of bounded size)."""
    h = policy.header
    if h.calendar_data is None:
        return policy
    from .calendars import CalendarError, load_calendar_data
    from .span import locate

    diagnostics = Diagnostics()
    span = locate(h.span, f'"{h.calendar_data}"', after=r"\bcalendar\b")
    data_path = _base_path(path, h.calendar_data, root, span, read is _read, diagnostics, "calendar data", YAML_SUFFIXES)
    diagnostics.raise_if_any()
    assert data_path is not None
    try:
        data = load_calendar_data(data_path, None if read is _read else read)
    except PolicyError:
        raise  # the data file's own located errors
    except (CalendarError, FileNotFoundError, KeyError) as exc:
        from .span import locate

        reason = "does not exist" if not isinstance(exc, CalendarError) or "no such file" in str(exc) else str(exc)
        diagnostics = Diagnostics()
        diagnostics.add("name", f"calendar data {h.calendar_data!r} {reason}",
                        locate(h.span, f'"{h.calendar_data}"', after=r"\bcalendar\b"))  # fmt: skip
        diagnostics.raise_if_any()
        raise
    return dataclasses.replace(policy, header=dataclasses.replace(h, calendar_sources=data))


_CALENDAR_DATA: contextvars.ContextVar[tuple] = contextvars.ContextVar("calendar_data", default=())


@contextlib.contextmanager
def default_calendar_data(data: object) -> Iterator[None]:
    """Within the block, :func:`load` and :func:`loads` also use ``data`` (the CLI's ``--calendar-data``),
    after their own ``calendar_data`` argument and before ``COMPLAINT_RULES_CALENDAR_DATA``."""
    from .calendars import as_calendar_data

    token = _CALENDAR_DATA.set(as_calendar_data(data))
    try:
        yield
    finally:
        _CALENDAR_DATA.reset(token)


def with_calendar_data(policy: ir.Policy, calendar_data: object = None) -> ir.Policy:
    """A resolved policy with the host's calendar data added after its own (docs/calendar.md: precedence):
    the ``calendar_data`` argument, then :func:`default_calendar_data`'s, then the environment variable's.
    Only data for the policy's own calendar is kept."""
    from .calendars import CalendarError, as_calendar_data, calendar, data_from_env

    h = policy.header
    if h.calendar is None:
        return policy
    try:
        supplied = (*as_calendar_data(calendar_data), *_CALENDAR_DATA.get(), *data_from_env())
        code = calendar(h.calendar).country
    except PolicyError:
        raise
    except CalendarError as exc:
        if "unknown calendar" in str(exc):
            return policy  # the checker says so, located
        raise
    mine = tuple(d for d in supplied if d.country == code and d not in h.calendar_sources)
    if not mine:
        return policy
    return dataclasses.replace(policy, header=dataclasses.replace(h, calendar_sources=(*h.calendar_sources, *mine)))


def _extends_span(text: str, name: str) -> Span | None:
    """Where the ``extends`` clause stands (the IR keeps only its value)."""
    match = re.search(r"^[ \t]*(extends)\b", text, re.MULTILINE)
    if match is None:
        return None
    line = text.count("\n", 0, match.start(1)) + 1
    column = match.start(1) - (text.rfind("\n", 0, match.start(1)) + 1) + 1
    end = text.find("\n", match.start(1))
    end = len(text) if end < 0 else end
    return Span(Source(name, text), line, column, line, column + (end - match.start(1)))


def check_resolved(policy: ir.Policy) -> None:
    """Run the checker; raise one PolicyError holding every diagnostic."""
    from .engine.record import schema_for
    from .language import checker

    diagnostics = Diagnostics()
    name = policy.span.source.name if policy.span is not None and policy.span.source is not None else "<policy>"
    diagnostics.extend(_guarded(lambda: checker.check(policy, schema_for(policy)), name))
    diagnostics.raise_if_any()


class Policy:
    """A loaded, resolved and checked policy, compiled for evaluation.

    Two policies are equal when they mean the same: layout, comments and syntax (DSL or YAML) do not count.
    A Policy is immutable: its IR, fingerprint and compiled program always belong together.
    """

    __slots__ = ("_compiled", "before_effective", "fingerprint", "ir", "path", "source")

    #: The policy as written (an overlay stays an overlay).
    source: ir.Policy
    #: The resolved policy: its overlays applied, checked.
    ir: ir.Policy
    #: The file it was loaded from, as shown in messages (None for :func:`loads`).
    path: str | None
    #: ``sha256:...`` of what the policy means (docs/decisions.md); every decision carries it.
    fingerprint: str
    #: What :meth:`evaluate` does with a record received before ``effective``: ``"allow"`` or ``"error"``.
    before_effective: str
    _compiled: CompiledPolicy | None

    def __init__(self, source: ir.Policy, resolved: ir.Policy | None = None, path: str | None = None,
                 before_effective: str = BEFORE_EFFECTIVE):  # fmt: skip
        resolved = resolved if resolved is not None else source
        if before_effective not in BEFORE_EFFECTIVE_CHOICES:
            raise ValueError(f"before_effective must be one of {', '.join(BEFORE_EFFECTIVE_CHOICES)}, "
                             f"not {before_effective!r}")
        for name, value in (("source", source), ("ir", resolved), ("path", path),
                            ("fingerprint", fingerprint(resolved)), ("_compiled", None),
                            ("before_effective", before_effective)):  # fmt: skip
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Policy is immutable: cannot set {name!r} (load or derive a new policy instead)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Policy is immutable: cannot delete {name!r}")

    # -- identity
    @property
    def id(self) -> str:
        """The policy's id (the string after ``policy`` in its header)."""
        return self.ir.header.id

    @property
    def version(self) -> str | None:
        """The header's ``version``, None when the policy gives none."""
        return self.ir.header.version

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Policy):
            return NotImplemented
        return self.ir == other.ir

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __repr__(self) -> str:
        return f"<Policy {self.id!r} version={self.version!r} {self.fingerprint[:19]}>"

    def __getstate__(self) -> dict[str, Any]:
        return {"source": self.source, "ir": self.ir, "path": self.path, "before_effective": self.before_effective}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["source"], state["ir"], state["path"], state.get("before_effective", BEFORE_EFFECTIVE))

    @property
    def effective(self) -> dt.date | None:
        """The date the policy is in force from (its header's ``effective``), None when it declares none."""
        return self.ir.header.effective

    def in_force(self, received_at: dt.datetime) -> bool:
        """Whether a complaint received at ``received_at`` falls on or after :attr:`effective`, as a date
        in the policy's time zone (UTC without one)."""
        return self.effective is None or local_date(self.ir, received_at) >= self.effective

    # -- printing
    def to_dsl(self) -> str:
        """The canonical DSL of the file as written (an overlay stays an overlay)."""
        return print_policy(self.source)

    def to_yaml(self) -> str:
        """The canonical YAML of the file as written (docs/yaml.md; comments are not kept)."""
        from .language.yaml_printer import to_yaml

        return to_yaml(self.source)

    def resolved_dsl(self) -> str:
        """The canonical DSL of the policy with its overlays applied."""
        return print_policy(self.ir)

    # -- evaluation
    @property
    def compiled(self) -> CompiledPolicy:
        """The compiled program behind :meth:`evaluate` (docs/api.md: "Bulk use")."""
        if self._compiled is None:
            from .engine.compiler import compile_policy

            # Compiling twice in a race gives equal programs; the first kept one wins.
            object.__setattr__(self, "_compiled", compile_policy(self.ir, fingerprint=self.fingerprint))
        return self._compiled

    def evaluate(
        self, record: Any, now: dt.datetime | None = None, *, strict: bool = False,
        assume_timezone: str | dt.tzinfo | None = None,
    ) -> Decision:  # fmt: skip
        """Decide a complaint record: level, routes, deadlines, escalations, remedy, follow-up, obligations, trace.

        Raises :class:`~complaint_rules.errors.RecordError` naming the record id and every bad field. A time
        the calendar cannot place (a year without holiday data) leaves that time None and the decision
        ``incomplete``, its ``problems`` saying why; with ``strict`` it raises
        :class:`~complaint_rules.errors.EvaluationError` naming the record and the rule instead.
        ``assume_timezone`` (an IANA name or a tzinfo) reads naive date-times as times in that zone,
        instead of refusing them; ValueError names an unknown zone.
        """
        compiled = self._compiled  # set at load; the property only for a policy built some other way
        compiled = compiled if compiled is not None else self.compiled
        if self.before_effective == "error" and self.ir.header.effective is not None:
            record_id, values = compiled.coerce(record) if assume_timezone is None else \
                compiled.coercer(assume_timezone)(record)  # fmt: skip
            self._check_in_force(record_id, values)
            return compiled.decide(values, record_id, now, strict=strict)
        return compiled.evaluate(record, now, strict=strict, assume_timezone=assume_timezone)

    def interpret(
        self, record: Any, now: dt.datetime | None = None, *, strict: bool = False,
        assume_timezone: str | dt.tzinfo | None = None,
    ) -> Decision:  # fmt: skip
        """The same decision by the tree-walking interpreter (the test oracle; slower)."""
        if self.before_effective == "error" and self.ir.header.effective is not None:
            self._check_in_force(*self.compiled.coerce(record))
        return self.compiled.interpret(record, now=now, strict=strict, assume_timezone=assume_timezone)

    def _check_in_force(self, record_id: str | None, values: dict[str, Any]) -> None:
        received = values.get("received_at")
        if isinstance(received, dt.datetime) and not self.in_force(received):
            raise RecordError(record_id, [("received_at", before_effective_message(self, received))])

    def follow_up_report(self, records: Iterable[Any], period: Any = None) -> FollowUpReport:
        """The follow-up quotas over many decided records (docs/decisions.md: follow-up)."""
        from .engine.followup import follow_up_report

        return follow_up_report(self.compiled, records, period)


def local_date(policy: ir.Policy, when: dt.datetime) -> dt.date:
    """The date of ``when`` in the policy's time zone (UTC without one)."""
    from zoneinfo import ZoneInfo

    zone = policy.header.timezone
    return when.astimezone(ZoneInfo(zone) if zone else dt.timezone.utc).date()


def before_effective_message(policy: Policy, received: dt.datetime) -> str:
    version = f" version {policy.version}" if policy.version else ""
    return (f"received {local_date(policy.ir, received).isoformat()}, before {policy.id}{version} is in force "
            f"(effective {policy.effective.isoformat()}); load it with before_effective='allow' to decide "
            "it anyway")


def load(
    path: PathLike,
    calendar_data: object = None,
    root: PathLike | None = None,
    comments: bool = True,
    *,
    before_effective: str = BEFORE_EFFECTIVE,
) -> Policy:
    """Load a policy file (.policy or .yaml/.yml), apply its overlays, check it and compile it.

    ``comments=False`` leaves the DSL's comments out of the IR (a faster load for a host that only
    evaluates; :meth:`Policy.resolved_dsl` then prints none). Equality and the fingerprint do not change.

    ``calendar_data``: calendar data files the host supplies (a path to a file or directory, a mapping,
    a CalendarData, or a list of them; docs/calendar.md), used after the policy's own ``data`` file.
    ``extends`` may only name policy files below ``root`` (default: the policy file's own directory).
    ``before_effective``: what :meth:`Policy.evaluate` does with a record received before the policy's
    ``effective`` date: ``"allow"`` decides it (the default), ``"error"`` raises a RecordError naming both
    dates (docs/versions.md).
    """
    source, resolved = parse_file(path, root=root, comments=comments)
    resolved = with_calendar_data(resolved, calendar_data)
    shown = display_path(Path(path))
    check_resolved(resolved)
    policy = Policy(source, resolved, shown, before_effective)
    _guarded(lambda: policy.compiled, shown)  # compile now: a policy that loads is one that evaluates
    return policy


def _guarded(step: Callable[[], Any], name: str) -> Any:
    """Run a loading step; a policy too big or deep for Python (a safety net below the limits) is a PolicyError."""
    try:
        return step()
    except (RecursionError, MemoryError, OverflowError, SyntaxError) as exc:
        kind = type(exc).__name__
        raise PolicyError(f"the policy is too large or too deeply nested to load ({kind})",
                          Span(Source(name, ""), 1, 1)) from None


def loads(
    text: str,
    format: Format = "dsl",
    name: str = "<policy>",
    calendar_data: object = None,
    comments: bool = True,
    *,
    before_effective: str = BEFORE_EFFECTIVE,
) -> Policy:
    """Load a policy from text (``format``: ``"dsl"``, ``"yaml"`` or ``"yml"``). A policy with ``extends``
    or a calendar ``data`` file needs :func:`load` (paths are relative to its file); ``calendar_data``,
    ``comments`` and ``before_effective`` as for :func:`load`."""
    source = _guarded(lambda: parse_text(text, name, format, comments), name)
    for what, value in (("'extends'", source.extends), ("a calendar 'data' file", source.header.calendar_data)):
        if value is not None:
            raise PolicyError(
                f"a policy with {what} must be loaded from a file: use complaint_rules.load(path)", source.span
            )
    resolved = with_calendar_data(source, calendar_data)
    check_resolved(resolved)
    policy = Policy(source, resolved, None, before_effective)
    _guarded(lambda: policy.compiled, name)  # compile now: a policy that loads is one that evaluates
    return policy
