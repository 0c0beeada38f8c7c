"""Reading ahead of the zip writer: in order, bounded by count and by bytes."""

from __future__ import annotations

import threading

from jobs import prefetch


class Watched:
    """Counts the fetches started and not yet taken by the caller."""

    def __init__(self):
        self.lock = threading.Lock()
        self.started: list[int] = []
        self.most_ahead = 0

    def fetch(self, item: int) -> int:
        with self.lock:
            self.started.append(item)
        return item * 10


def read_all(items, wanted, most=4, budget=1000):
    watched, seen = Watched(), []
    for item, future in prefetch.in_order(
        items, watched.fetch, wanted, threads=3, most=most, budget=budget
    ):
        watched.most_ahead = max(watched.most_ahead, len(watched.started) - len(seen))
        seen.append((item, future.result() if future else None))
    return seen, watched


def test_results_come_in_the_order_given_and_unwanted_items_are_not_fetched():
    seen, watched = read_all(range(50), lambda item: None if item % 7 == 0 else 1)
    assert seen == [(i, None if i % 7 == 0 else i * 10) for i in range(50)]
    assert sorted(watched.started) == [i for i in range(50) if i % 7]


def test_no_more_than_the_count_is_fetched_ahead():
    _, watched = read_all(range(100), lambda item: 1, most=4)
    assert 1 <= watched.most_ahead <= 4


def test_no_more_than_the_byte_budget_is_fetched_ahead_but_always_one():
    _, watched = read_all(range(40), lambda item: 300, most=16, budget=1000)
    assert watched.most_ahead <= 3
    seen, _ = read_all(range(5), lambda item: 5000, most=16, budget=1000)
    assert [value for _, value in seen] == [0, 10, 20, 30, 40]
