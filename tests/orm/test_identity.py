"""The identity map holds objects weakly and lets go of the entries of collected ones."""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import ormkit
from ormkit import insert, select
from ormkit.orm import Session
from tests.orm.conftest import Models

ROWS = 5000


def _fill(engine: ormkit.Engine, models: Models) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(models.User), [{"id": i, "name": f"user{i}"} for i in range(1, ROWS + 1)]
        )


def test_entries_of_dropped_objects_are_released(engine: ormkit.Engine, models: Models) -> None:
    _fill(engine, models)
    with Session(engine) as session:
        entries = session.identity_map._refs  # every entry, live or not
        session.scalars(select(models.User).limit(1)).all()  # plans and caches made now
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.take_snapshot()
            users = session.scalars(select(models.User)).all()
            assert len(users) == ROWS
            assert len(entries) == ROWS
            del users
            gc.collect()
            after = tracemalloc.take_snapshot()
        finally:
            tracemalloc.stop()
        assert len(entries) == 0
        assert len(session.identity_map) == 0
        # what ormkit's own code allocated and still holds (a driver may keep its last rows)
        mine = [tracemalloc.Filter(True, str(Path(ormkit.__file__).parent / "*"))]
        held = sum(
            stat.size_diff
            for stat in after.filter_traces(mine).compare_to(before.filter_traces(mine), "filename")
        )
        # an entry costs ~250 bytes (key tuple, weak reference, dict slot): 5,000 kept would
        # hold over 1 MiB; what stays is the dict's table (reused, and shrunk at its next
        # resize), about 150 KiB here
        assert held < 512 * 1024
        # the map goes on working: a new load maps the rows again
        again = session.scalars(select(models.User).where(models.User.id <= 3)).all()
        assert [u.id for u in again] == [1, 2, 3]
        assert session.get(models.User, 2) is again[1]


def test_collected_object_leaves_the_entry_of_its_replacement(
    engine: ormkit.Engine, models: Models
) -> None:
    _fill(engine, models)
    with Session(engine) as session:
        first = session.get(models.User, 1)
        session.expunge(first)
        second = session.get(models.User, 1)
        assert second is not first
        del first
        gc.collect()
        assert session.identity_map.get((models.User, (1,))) is second


def test_modified_object_stays_mapped_until_flushed(engine: ormkit.Engine, models: Models) -> None:
    _fill(engine, models)
    with Session(engine) as session:
        user = session.get(models.User, 1)
        assert user is not None
        user.nickname = "changed"
        del user
        gc.collect()
        session.commit()
    with Session(engine) as session:
        assert session.get(models.User, 1).nickname == "changed"
