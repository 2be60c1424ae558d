"""A directory of policies, kept loaded: reload on change, keep the last good version, swap atomically."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PolicyError
from ..policy import DSL_SUFFIXES, YAML_SUFFIXES, PathLike, Policy, display_path, load
from ..span import Source, Span

if TYPE_CHECKING:
    from ..engine.decision import Decision

__all__ = ["PolicyStore", "Refresh"]

# (modification time in ns, size, inode): a file whose stamp is unchanged is not read again.
_Stamp = tuple[int, int, int]


@dataclasses.dataclass(frozen=True)
class Refresh:
    """What one :meth:`PolicyStore.refresh` did; ``changed`` is False when no file had changed."""

    #: Policy ids loaded anew (a new file, or a changed one that loads).
    loaded: tuple[str, ...] = ()
    #: Policy ids whose files were removed.
    removed: tuple[str, ...] = ()
    #: File -> the error of its latest load; the store keeps serving the file's last good version, if any.
    failed: Mapping[str, PolicyError] = dataclasses.field(default_factory=dict)
    changed: bool = False


@dataclasses.dataclass(frozen=True)
class _State:
    stamps: Mapping[str, _Stamp]
    by_file: Mapping[str, Policy]  # file -> its last good policy
    by_id: Mapping[str, Policy]
    errors: Mapping[str, PolicyError]


class PolicyStore(Mapping[str, Policy]):
    """Every policy file below a directory, loaded and checked, by policy id.

    :meth:`refresh` looks at the files' modification times and sizes (no thread, no file-system events:
    call it on a timer, per request, or from a signal handler) and reloads every policy when any file
    below the directory changed (a base policy or calendar data file changes what an overlay means). A
    file that no longer loads keeps its last good version in service and is listed in :attr:`errors`.
    Each refresh builds a new state and swaps it in at once, so readers in other threads see the old
    policies or the new ones, never a mixture; refreshes themselves are serialised.

    Which version decided a decision: every :class:`~complaint_rules.Decision` carries the policy's
    id, version and fingerprint.
    """

    def __init__(self, directory: PathLike, *, calendar_data: object = None,
                 suffixes: tuple[str, ...] = DSL_SUFFIXES + YAML_SUFFIXES) -> None:  # fmt: skip
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise NotADirectoryError(f"{directory}: not a directory of policies")
        self.calendar_data = calendar_data
        self.suffixes = tuple(s.lower() for s in suffixes)
        self._lock = threading.Lock()
        self._state = _State({}, {}, {}, {})
        self.refresh()

    # -- reading
    def __getitem__(self, policy_id: str) -> Policy:
        return self._state.by_id[policy_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._state.by_id)

    def __len__(self) -> int:
        return len(self._state.by_id)

    def __repr__(self) -> str:
        state = self._state
        return f"<PolicyStore {str(self.directory)!r}: {len(state.by_id)} policies, {len(state.errors)} failed>"

    @property
    def errors(self) -> Mapping[str, PolicyError]:
        """File -> the error of its latest load, for every file that does not load now."""
        return self._state.errors

    def evaluate(
        self, policy_id: str, record: Any, now: dt.datetime | None = None, *, strict: bool = False,
        assume_timezone: str | dt.tzinfo | None = None,
    ) -> Decision:  # fmt: skip
        """Decide ``record`` by the policy with that id, as :meth:`complaint_rules.Policy.evaluate`.

        Raises KeyError naming the loaded ids for an unknown one.
        """
        state = self._state  # one snapshot: the policy cannot be swapped out halfway
        policy = state.by_id.get(policy_id)
        if policy is None:
            raise KeyError(f"no policy {policy_id!r} in {self.directory}; loaded: {', '.join(sorted(state.by_id))}")
        return policy.evaluate(record, now, strict=strict, assume_timezone=assume_timezone)

    # -- reloading
    def _stamps(self) -> dict[str, _Stamp]:
        stamps = {}
        for root, dirs, files in os.walk(self.directory):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                path = os.path.join(root, name)
                try:
                    info = os.stat(path)
                except OSError:  # removed while we looked: the next refresh sees it gone
                    continue
                stamps[path] = (info.st_mtime_ns, info.st_size, info.st_ino)
        return stamps

    def refresh(self) -> Refresh:
        """Reload the policies if any file below the directory changed; see the class docstring."""
        with self._lock:
            old = self._state
            stamps = self._stamps()
            if stamps == old.stamps:
                return Refresh()
            by_file: dict[str, Policy] = {}
            errors: dict[str, PolicyError] = {}
            for path in stamps:
                if Path(path).suffix.lower() not in self.suffixes:
                    continue
                try:
                    by_file[path] = load(path, calendar_data=self.calendar_data, root=self.directory)
                except PolicyError as exc:
                    errors[path] = exc
                    if path in old.by_file:
                        by_file[path] = old.by_file[path]  # keep the last good version in service
                except OSError as exc:  # removed or unreadable between the look and the read
                    errors[path] = PolicyError(f"cannot read the file ({exc.strerror})",
                                               Span(Source(display_path(path), ""), 1, 1))
                    if path in old.by_file:
                        by_file[path] = old.by_file[path]
            by_id: dict[str, Policy] = {}
            for path, policy in by_file.items():
                other = by_id.get(policy.id)
                if other is not None:
                    errors[path] = PolicyError(f"policy id {policy.id!r} is also the id of {other.path}",
                                               policy.source.header.span)
                    continue
                by_id[policy.id] = policy
            self._state = _State(stamps, by_file, by_id, errors)
            old_ids = {p.id: p.fingerprint for p in old.by_id.values()}
            loaded = tuple(sorted(i for i, p in by_id.items() if old_ids.get(i) != p.fingerprint))
            removed = tuple(sorted(set(old_ids) - set(by_id)))
            return Refresh(loaded, removed, dict(errors), True)
