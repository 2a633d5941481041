"""The shared frontier and the shared budgets on the real Redis: what two workers see of each other."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis.asyncio as aioredis

from pixivcrawl.distributed.budget import SharedBudget
from pixivcrawl.distributed.frontier import Frontier, FrontierLost

from .conftest import REDIS_URL
from .decorators import coroutine_test


def workers(space, lease: float = 30.0) -> tuple[Frontier, Frontier]:
    return (Frontier(space.client, space.prefix, "job", "worker-a", lease),
            Frontier(space.client, space.prefix, "job", "worker-b", lease))


def test_duplicates_are_dropped_and_each_request_goes_to_one_worker(redis_space):
    a, b = workers(redis_space)
    assert a.push(b"page-1", 0, "fp1") is not None
    assert b.push(b"page-1 again", 0, "fp1") is None  # the other worker's copy of the same request
    assert b.push(b"retry of page-1", 0, None) is not None  # dont_filter
    taken = [a.take(), b.take()]
    assert {payload for _, payload in taken} == {b"page-1", b"retry of page-1"}
    assert a.take() is None and b.take() is None
    assert a.size().queued == 0 and a.size().leased == 2


def test_priority_first_then_newest(redis_space):
    a, _ = workers(redis_space)
    for payload, priority in ((b"old", 0), (b"urgent", 5), (b"new", 0)):
        a.push(payload, priority, None)
    assert [a.take()[1] for _ in range(3)] == [b"urgent", b"new", b"old"]


def test_only_the_owner_releases_and_expired_leases_come_back(redis_space):
    a, b = workers(redis_space, lease=0.5)
    a.push(b"work", 0, "fp")
    lease, _ = a.take()
    assert b.release(lease) == 0  # not b's
    assert b.requeue_expired() == 0
    time.sleep(0.3)
    assert a.renew([lease]) == 1  # a is alive
    time.sleep(0.3)
    assert b.requeue_expired() == 0
    time.sleep(0.6)  # a stopped renewing: it died
    assert b.requeue_expired() == 1
    again, payload = b.take()
    assert payload == b"work"
    assert a.release(lease) == 0  # the dead worker's late release changes nothing
    assert b.release(again) == 1
    assert a.size().empty and a.delete_if_finished()
    assert list(redis_space.client.scan_iter(f"{redis_space.prefix}:frontier:*")) == []


def test_a_stopping_worker_gives_back_what_it_took(redis_space):
    a, b = workers(redis_space)
    for n in range(3):
        a.push(f"r{n}".encode(), 0, f"fp{n}")
    leases = [a.take()[0] for _ in range(2)]
    assert a.give_back(leases) == 2
    assert not a.delete_if_finished()
    assert sorted(b.take()[1] for _ in range(3)) == [b"r0", b"r1", b"r2"]


async def _send_for(budget: SharedBudget, seconds: float, sent: list[float]) -> None:
    end = time.monotonic() + seconds
    while True:
        await budget.acquire()
        now = time.monotonic()
        if now > end:
            return
        sent.append(now)
        await budget.succeeded(window=1.0)


@coroutine_test
async def test_two_workers_share_one_budget_and_one_pause(redis_space):
    key = f"{redis_space.prefix}:budget:app:acct"

    async def run():
        clients = [aioredis.Redis.from_url(REDIS_URL) for _ in range(2)]
        budgets = [SharedBudget(c, key, "app", rate=20, burst=1) for c in clients]
        sent: list[float] = []
        await asyncio.gather(*(_send_for(b, 1.5, sent) for b in budgets for _ in range(3)))
        # worker a is told to slow down: worker b pauses too
        limited_at = time.monotonic()
        rate, added, _ = await budgets[0].limited(pause=0.5, window=1.0, safety=0.9)
        started = time.monotonic()
        await budgets[1].acquire()
        waited = time.monotonic() - started
        for c in clients:
            await c.aclose()
        return sent, waited, rate, added, sum(1 for t in sent if t >= limited_at - 1.0)

    sent, waited, rate, added, last_second = await run()
    # six senders in two workers: together at most 20 per second, as one worker alone (a loaded machine may let
    # fewer through; never more)
    assert 15 <= len(sent) <= 32
    assert waited >= 0.4 and added == pytest.approx(0.5, abs=0.05)
    assert last_second >= 5 and rate == pytest.approx(0.9 * last_second, abs=1)  # what both got through


def test_workers_of_one_job_name_the_same_frontier():
    from pixivcrawl.distributed.scheduler import default_frontier_name
    from pixivcrawl.spiders.search import SearchSpider

    def name(**kwargs) -> str:
        return default_frontier_name(SearchSpider(**kwargs))

    # scrapyd gives each host's job its own _job id: still one crawl
    assert name(word="猫", details="1", _job="a1") == name(details="1", word="猫", _job="b2")
    assert name(word="猫") != name(word="犬") and name(word="猫").startswith("search:")


@coroutine_test
async def test_a_shared_success_counts_from_when_it_was_sent(redis_space):
    """As in the local budget: an answer that came back late counts from when its request left."""
    client = aioredis.Redis.from_url(REDIS_URL)
    budget = SharedBudget(client, f"{redis_space.prefix}:budget:web:acct", "web", rate=10, burst=1)
    window = 2.0
    await budget.succeeded(window, age=2.5)  # sent before the window
    await budget.succeeded(window, age=0.5)
    await budget.succeeded(window)
    rate, *_ = await budget.limited(pause=0.1, window=window, safety=1.0)
    await client.aclose()
    assert rate == pytest.approx(2 / window)


@coroutine_test
async def test_a_shared_limit_event_is_one_whatever_the_answers(redis_space):
    """As in the local budget: limit answers to requests sent before the event began belong to it (one pause, one
    rate), a later one is a new event learned from the same successes; the rate never drops below the floor."""
    client = aioredis.Redis.from_url(REDIS_URL)
    budget = SharedBudget(client, f"{redis_space.prefix}:budget:web:acct", "web", rate=10, burst=1, floor=0.5,
                          increase=0.5, recovery=0.3)
    window = 2.0
    for _ in range(4):
        await budget.succeeded(window)
    first = await budget.limited(pause=0.2, window=window, safety=1.0, age=0.05)
    late = await budget.limited(pause=5.0, window=window, safety=1.0, age=0.5)  # sent before the first came back
    assert first.new_event and first.rate == pytest.approx(4 / window) and first.added == pytest.approx(0.2, abs=0.02)
    assert not late.new_event and late.rate == first.rate and late.added == 0
    assert budget.consecutive_limits == 1
    await asyncio.sleep(0.25)
    again = await budget.limited(pause=0.05, window=window, safety=0.9)
    assert again.new_event and again.rate == pytest.approx(0.9 * 4 / window) and budget.consecutive_limits == 2
    await asyncio.sleep(0.35)  # a quiet spell: the next success steps the rate up by 0.5 × 2 requests/s
    raised = await budget.succeeded(window)
    assert raised == pytest.approx(again.rate + 1.0) and budget.consecutive_limits == 0
    await asyncio.sleep(2.5 * window)  # nothing accepted any more: halve, down to half what pixiv accepted
    rates = [(await budget.limited(pause=0.01, window=window, safety=0.9, age=0)).rate for _ in range(3)]
    await client.aclose()
    assert rates == pytest.approx([(again.rate + 1.0) / 2, 1.0, 1.0])


def test_a_frontier_that_vanished_is_lost_and_not_rebuilt(redis_space):
    """The run id stored with the frontier: the workers of one run share it; when the frontier's keys vanish
    (Redis restarted empty) queueing and taking raise FrontierLost and write nothing."""
    a, b = workers(redis_space)
    assert a.join() == b.join()  # b joins a's run
    a.push(b"page-1", 0, "fp1")
    assert a.status() == b.status() == "running"
    for key in redis_space.client.scan_iter(f"{redis_space.prefix}:frontier:*"):
        redis_space.client.delete(key)
    assert a.status() == "lost"
    with pytest.raises(FrontierLost):
        a.push(b"page-2", 0, "fp2")
    with pytest.raises(FrontierLost):
        b.take()
    assert list(redis_space.client.scan_iter(f"{redis_space.prefix}:frontier:*")) == []


def test_a_finished_run_is_told_from_a_lost_one(redis_space):
    a, b = workers(redis_space)
    run = a.join()
    b.join()
    a.push(b"page-1", 0, "fp1")
    lease, _ = b.take()
    b.release(lease)
    assert a.delete_if_finished()  # the last worker out removes the frontier
    assert b.status() == "finished"
    with pytest.raises(FrontierLost):
        b.take()
    # the next run of the job starts afresh, with a run of its own
    c = Frontier(redis_space.client, redis_space.prefix, "job", "worker-c", 30.0)
    assert c.join() != run and c.status() == "running" and b.status() == "finished"
