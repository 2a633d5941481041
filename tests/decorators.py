"""Test decorators (Scrapy's own suite has the same in ``tests/utils/decorators.py``)."""

from __future__ import annotations

import functools

from scrapy.utils.defer import deferred_from_coro


def coroutine_test(coro_f):
    """Marks an ``async def`` test: it runs as an asyncio task on the session's reactor, and pytest-twisted waits
    for the Deferred (Scrapy's own ``tests/utils/decorators.py:coroutine_test``)."""

    @functools.wraps(coro_f)
    def test(*args, **kwargs):
        return deferred_from_coro(coro_f(*args, **kwargs))

    return test
