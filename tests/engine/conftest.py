"""Shared engine fixtures: a plain table of users."""

from __future__ import annotations

import pytest

from ormkit import Column, Engine, Integer, MetaData, String, Table


@pytest.fixture
def users(engine: Engine, metadata: MetaData) -> Table:
    """``users(id, name NOT NULL)``, created on the backend under test."""
    table = Table(
        "users",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("name", String(50), nullable=False),
    )
    metadata.create_all(engine)
    return table
