"""UTC offset changes of a policy's time zone, for the wall-clock units of timing comparisons.

Days, weeks, months, years, working days and business hours are counted on the wall clock of the
policy's zone (docs/calendar.md, "Units"), so across an offset change (daylight saving time, or a zone
that changed its standard offset) ``1 day`` is not 1440 minutes: it is 23 or 25 hours in New York. The
elapsed time of any wall-clock shift is its wall-clock length minus the change of UTC offset between its
start and its end, and both offsets are ones the zone has used, so it is off by at most the *spread* of
the zone: its highest UTC offset minus its lowest, over its whole history. The spread is 0 only for a
zone that never changed its offset (``UTC``, ``Etc/GMT+5``); ``Asia/Shanghai`` has 1 hour (DST 1986-1991).

The offsets come from sampling the zone twice a day from 1800 to 2200: every zone keeps one offset
before 1800 (tzdata has no earlier change) and repeats one yearly rule after its last listed change
(2037 at the latest), and no zone has an offset that lasted under 12 hours. The changes found are
refined to the second and serve as counterexample starts: a due time measured in calendar days goes
wrong for a start just before a change.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

_UTC = dt.timezone.utc
_STEP = dt.timedelta(hours=12)
_FIRST, _LAST = dt.datetime(1800, 1, 1, tzinfo=_UTC), dt.datetime(2200, 1, 1, tzinfo=_UTC)
# A zone the analysis cannot load gets a spread no offset change exceeds, so nothing is decided by bounds.
UNKNOWN_SPREAD = 26 * 60.0


@lru_cache(maxsize=64)
def _scan(name: str) -> tuple[float, tuple[tuple[dt.datetime, dt.datetime], ...]] | None:
    """(spread in minutes, brackets (before, after) of every offset change, 12 hours apart) or None."""
    try:
        tz = ZoneInfo(name)
    except (KeyError, ValueError, TypeError, OSError):
        return None
    offsets: set[dt.timedelta] = set()
    brackets: list[tuple[dt.datetime, dt.datetime]] = []
    t, prev = _FIRST, None
    while t < _LAST:
        off = t.astimezone(tz).utcoffset()
        if off != prev:
            if prev is not None:
                brackets.append((t - _STEP, t))
            offsets.add(off)
            prev = off
        t += _STEP
    spread = (max(offsets) - min(offsets)).total_seconds() / 60
    return spread, tuple(brackets)


def offset_spread(name: str | None) -> float:
    """Highest minus lowest UTC offset the zone ``name`` has used, in minutes (``None``: UTC, 0)."""
    if name is None:
        return 0.0
    scanned = _scan(name)
    return UNKNOWN_SPREAD if scanned is None else scanned[0]


@lru_cache(maxsize=64)
def changes_near(name: str | None, year: int = 2026, limit: int = 24) -> tuple[dt.datetime, ...]:
    """The zone's offset changes (UTC instants, exact to the second), nearest to mid-``year`` first."""
    scanned = _scan(name) if name is not None else None
    if not scanned:
        return ()
    tz = ZoneInfo(name)
    middle = dt.datetime(year, 7, 1, tzinfo=_UTC)
    nearest = sorted(scanned[1], key=lambda b: abs(b[0] - middle))[:limit]
    out = []
    for lo, hi in nearest:
        before = lo.astimezone(tz).utcoffset()
        a, b = int(lo.timestamp()), int(hi.timestamp())  # a has the old offset, b the new one
        while b - a > 1:
            mid = (a + b) // 2
            if dt.datetime.fromtimestamp(mid, tz).utcoffset() == before:
                a = mid
            else:
                b = mid
        out.append(dt.datetime.fromtimestamp(b, _UTC))
    return tuple(out)
