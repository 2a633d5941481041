"""Fixtures shared by the component tests."""

from __future__ import annotations

import pytest

from pixivcrawl.middlewares import throttle

from .helpers import VirtualClock, isolate


@pytest.fixture
def clock(monkeypatch, tmp_path) -> VirtualClock:
    """The virtual clock of pixivcrawl.middlewares.throttle (its budgets, and the close-aware sleep the retry
    backoff waits with): a sleep moves it on at once and is recorded."""
    isolate(monkeypatch, tmp_path)
    clock = VirtualClock()
    monkeypatch.setattr(throttle, "time", clock)
    monkeypatch.setattr(throttle, "asyncio", clock)
    return clock
