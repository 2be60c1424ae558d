"""Worker processes that answer chunks of a stream in input order, and say which chunks they lost.

Generic on purpose (it knows nothing of records or decisions), so that the io layer's ``batch`` can hand it
its own module-level functions: ``fn`` and ``initializer`` are pickled by name into each worker.
"""

from __future__ import annotations

import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

CHUNK = 256  # items sent to a worker at a time: large enough that pickling is cheap per item
AHEAD = 4  # chunks in flight per worker: enough to keep every worker busy, few enough to bound memory


def ordered_map(
    fn: Callable[[list[T]], Any],
    items: Iterable[T],
    jobs: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple = (),
    chunk: int | None = None,
) -> Iterator[tuple[list[T], Any]]:
    """``(chunk, fn(chunk))`` for consecutive chunks of ``items``, in input order, computed in ``jobs`` processes.

    In place of ``fn(chunk)``: the exception, when the worker raised or died (the chunk is lost), or
    ``None`` for a chunk never sent because the pool had broken; every later chunk is ``None`` too, for
    the caller to compute itself. Every item comes back in exactly one chunk. An exception in the caller
    (an interrupt) cancels the chunks not yet started.
    """
    pending: deque[tuple[list[T], Future | None]] = deque()
    chunks = _chunks(items, chunk or CHUNK)
    pool = ProcessPoolExecutor(jobs, initializer=_start, initargs=(initializer, initargs))
    broken = False
    try:
        for part in chunks:
            try:
                pending.append((part, pool.submit(fn, part)))
            except BrokenProcessPool:
                pending.append((part, None))
                broken = True
                break
            while len(pending) >= jobs * AHEAD or pending[0][1].done():  # type: ignore[union-attr]
                yield _result(*pending.popleft())
                if not pending:
                    break
        while pending:
            yield _result(*pending.popleft())
        if broken:
            for part in chunks:
                yield part, None
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _start(initializer: Callable[..., None] | None, initargs: tuple) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when the work stops
    if initializer is not None:
        initializer(*initargs)


def _result(part: list[T], future: Future | None) -> tuple[list[T], Any]:
    if future is None:
        return part, None
    try:
        return part, future.result()
    except Exception as exc:  # noqa: BLE001 - a dead worker or an error in fn: the caller decides
        return part, exc


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    part: list[T] = []
    for item in items:
        part.append(item)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part
