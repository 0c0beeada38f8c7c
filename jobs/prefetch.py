"""Reading ahead of the zip writer: a bounded pool of GETs whose results come back in order.

A warm export is one GET per record. Waited for one by one, the writer would idle through
every round trip; fetched all at once, the job would hold the whole export in memory. So a
few threads fetch ahead, and the window is bounded twice: by a count (what keeps the
threads busy) and by bytes (what keeps the job's memory flat when PDFs are large). The
writer takes results in the order given, whatever order the GETs finish in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


def in_order(
    items: Iterable[Item],
    fetch: Callable[[Item], Result],
    wanted: Callable[[Item], int | None],
    *,
    threads: int,
    most: int,
    budget: int,
) -> Iterator[tuple[Item, Future[Result] | None]]:
    """(item, its fetch's future, or None when `wanted(item)` is None: nothing to fetch),
    in the order of `items`. `wanted` gives the bytes a fetch will bring; at most `most`
    fetches and `budget` bytes are ahead of the caller (always at least one fetch)."""
    with ThreadPoolExecutor(threads, "prefetch") as pool:
        ahead: deque[tuple[Item, Future[Result] | None, int]] = deque()
        held = 0
        for item in items:
            size = wanted(item)
            while ahead and (len(ahead) >= most or held + (size or 0) > budget):
                done, future, taken = ahead.popleft()
                held -= taken
                yield done, future
            future = None if size is None else pool.submit(fetch, item)
            ahead.append((item, future, size or 0))
            held += size or 0
        while ahead:
            done, future, _ = ahead.popleft()
            yield done, future
