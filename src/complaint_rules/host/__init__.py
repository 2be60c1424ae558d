"""For host applications: the policies bundled with the library, and a store that reloads a directory of them.

``bundled("svw-dealer")`` loads a policy shipped in the wheel (the repository's ``policies/``);
:class:`~complaint_rules.host.store.PolicyStore` keeps a directory of policies loaded and swaps in new
versions as the files change, keeping the last good version of a file that no longer loads.
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path

from ..policy import DSL_SUFFIXES, YAML_SUFFIXES, Policy, load
from .store import PolicyStore, Refresh

__all__ = ["PolicyStore", "Refresh", "bundled", "bundled_names", "bundled_path"]


def _bundled_root() -> Path:
    # Installed from a wheel the package is a directory, so its data files are plain files with a path.
    return Path(str(resources.files("complaint_rules").joinpath("policies")))


def _bundled_files() -> dict[str, Path]:
    """``category/name`` -> the file, for every bundled policy."""
    root = _bundled_root()
    found = {}
    for path in sorted(root.glob("*/*")):
        if path.suffix in DSL_SUFFIXES + YAML_SUFFIXES and path.is_file():
            found[f"{path.parent.name}/{path.stem}"] = path
    return found


def bundled_names() -> tuple[str, ...]:
    """The names :func:`bundled` takes: each bundled policy's file name without its suffix, sorted."""
    return tuple(sorted(key.rpartition("/")[2] for key in _bundled_files()))


def bundled_path(name: str) -> Path:
    """The file of a bundled policy: ``"svw-dealer"`` or ``"automotive/svw-dealer"`` (with or without suffix).

    Raises LookupError naming the bundled policies (and the closest one) for an unknown name.
    """
    files = _bundled_files()
    key = name.strip()
    for suffix in DSL_SUFFIXES + YAML_SUFFIXES:
        key = key.removesuffix(suffix)
    if key in files:
        return files[key]
    matches = [path for full, path in files.items() if full.rpartition("/")[2] == key]
    if len(matches) == 1:
        return matches[0]
    names = bundled_names()
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise LookupError(f"no bundled policy {name!r}{hint}; the bundled policies are: {', '.join(names)}")


def bundled(name: str, calendar_data: object = None) -> Policy:
    """Load a policy bundled with the library, by name (see :func:`bundled_names`).

    ``calendar_data`` as for :func:`complaint_rules.load`. Raises LookupError for an unknown name.
    """
    return load(bundled_path(name), calendar_data=calendar_data)
