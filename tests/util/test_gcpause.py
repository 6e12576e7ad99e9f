"""gc_paused: the collector is off inside a big enough step and back as it was after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from ormkit.util import gc_paused
from ormkit.util.gcpause import PAUSE_AT


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_enabled")
def test_collector_is_paused_inside_a_big_step_and_enabled_after() -> None:
    with gc_paused(PAUSE_AT):
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_enabled")
def test_small_step_leaves_the_collector_running() -> None:
    with gc_paused(PAUSE_AT - 1):
        assert gc.isenabled()


@pytest.mark.usefixtures("collector_enabled")
def test_collector_comes_back_after_an_error() -> None:
    with pytest.raises(ValueError, match="boom"), gc_paused(PAUSE_AT):
        raise ValueError("boom")
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_enabled")
def test_collector_disabled_by_the_application_stays_disabled() -> None:
    gc.disable()
    with gc_paused(PAUSE_AT * 10):
        assert not gc.isenabled()
    assert not gc.isenabled()
