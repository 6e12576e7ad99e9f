"""Pickling mapped objects: the copy is detached, keeps its values, and merges back.

The classes are at module level: pickle finds a class by its importable name.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

import ormkit
from ormkit import ForeignKey, String, exc, inspect, select
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship
from ormkit.orm.collections import InstrumentedList, InstrumentedSet
from ormkit.orm.state import NO_VALUE

PROTOCOLS = range(2, pickle.HIGHEST_PROTOCOL + 1)


class Base(DeclarativeBase):
    pass


class Owner(Base):
    __tablename__ = "pk_owners"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    nickname: Mapped[str | None] = mapped_column(String(50))
    pets = relationship("Pet", back_populates="owner", order_by="Pet.id")
    tags = relationship("Tag", collection_class=set)


class Pet(Base):
    __tablename__ = "pk_pets"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("pk_owners.id"))
    owner = relationship("Owner", back_populates="pets")


class Tag(Base):
    __tablename__ = "pk_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(50))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("pk_owners.id"))


@pytest.fixture
def stored(engine: ormkit.Engine) -> ormkit.Engine:
    """Owner 1 (ann) with pets 1, 2 and tag 1; owner 2 (bob) alone."""
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(
            Owner(
                id=1,
                name="ann",
                pets=[Pet(id=1, name="rex"), Pet(id=2, name="tom")],
                tags={Tag(id=1, label="x")},
            )
        )
        s.add(Owner(id=2, name="bob"))
        s.commit()
    return engine


def _copy(obj: Any, protocol: int) -> Any:
    return pickle.loads(pickle.dumps(obj, protocol))


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_loaded_object_pickles_detached_with_its_values(
    stored: ormkit.Engine, protocol: int
) -> None:
    with Session(stored) as s:
        ann = s.get(Owner, 1)
        copy = _copy(ann, protocol)
    state = inspect(copy)
    assert state.detached and state.session is None
    assert state.identity == (1,)
    assert (copy.id, copy.name, copy.nickname) == (1, "ann", None)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_modified_object_pickles_with_its_change_pending(
    stored: ormkit.Engine, protocol: int
) -> None:
    with Session(stored) as s:
        ann = s.get(Owner, 1)
        ann.name = "anne"
        copy = _copy(ann, protocol)
    assert copy.name == "anne"
    assert inspect(copy).modified
    assert inspect(copy).committed == {"name": "ann"}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_never_loaded_value_unpickles_as_the_no_value_marker(
    stored: ormkit.Engine, protocol: int
) -> None:
    with Session(stored) as s:
        ann = s.get(Owner, 1)
        s.expire(ann, ["nickname"])
        ann.nickname = "a"  # changed before it was loaded again: no old value
        copy = _copy(ann, protocol)
    assert inspect(copy).committed == {"nickname": NO_VALUE}
    assert inspect(copy).committed["nickname"] is NO_VALUE


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("expired", [["name"], None])
def test_expired_attributes_stay_unloaded_and_raise_detached(
    stored: ormkit.Engine, protocol: int, expired: list[str] | None
) -> None:
    with Session(stored) as s:
        ann = s.get(Owner, 1)
        s.expire(ann, expired)
        copy = _copy(ann, protocol)
    assert "name" not in copy.__dict__
    with pytest.raises(exc.DetachedInstanceError, match="'name'"):
        _ = copy.name
    if expired is not None:
        assert copy.nickname is None  # what was not expired keeps its value


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_deleted_object_unpickles_detached_with_its_values(
    stored: ormkit.Engine, protocol: int
) -> None:
    with Session(stored) as s:
        bob = s.get(Owner, 2)
        s.delete(bob)
        s.flush()
        flushed = _copy(bob, protocol)
        s.commit()
        committed = _copy(bob, protocol)
    for copy in (flushed, committed):
        assert inspect(copy).detached
        assert not inspect(copy).deleted
        assert copy.name == "bob"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_loaded_collections_unpickle_as_instrumented_collections(
    stored: ormkit.Engine, protocol: int
) -> None:
    with Session(stored) as s:
        ann = s.get(Owner, 1)
        assert len(ann.pets) == 2 and len(ann.tags) == 1
        copy = _copy(ann, protocol)
    assert type(copy.pets) is InstrumentedList
    assert type(copy.tags) is InstrumentedSet
    assert [p.name for p in copy.pets] == ["rex", "tom"]
    assert [t.label for t in copy.tags] == ["x"]
    pet = Pet(id=3, name="kit")
    copy.pets.append(pet)  # still instrumented: the other side follows, the add is recorded
    assert pet.owner is copy
    assert copy.pets._ok_added == [pet]
    assert copy.pets._ok_owner() is copy


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_many_to_one_reference_pickles_with_its_target(
    stored: ormkit.Engine, protocol: int
) -> None:
    with Session(stored) as s:
        rex = s.get(Pet, 1)
        assert rex.owner.name == "ann"
        copy = _copy(rex, protocol)
    assert copy.owner.name == "ann"
    assert inspect(copy.owner).detached


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_merge_of_an_unpickled_object_gives_the_sessions_object_with_its_values(
    stored: ormkit.Engine, protocol: int
) -> None:
    with Session(stored) as s:
        ann = s.get(Owner, 1)
        _ = ann.pets
        copy = _copy(ann, protocol)
    copy.name = "anne"
    copy.pets[0].name = "rexy"
    with Session(stored) as s:
        merged = s.merge(copy)
        assert merged is not copy
        assert inspect(merged).persistent and inspect(merged).session is s
        assert merged is s.get(Owner, 1)
        assert merged.name == "anne"
        assert [p.name for p in merged.pets] == ["rexy", "tom"]
        assert all(inspect(p).session is s for p in merged.pets)
        s.commit()
    with Session(stored) as s:
        assert s.get(Owner, 1).name == "anne"
        assert s.get(Pet, 1).name == "rexy"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_merge_of_an_unpickled_object_whose_row_was_deleted_makes_it_pending(
    stored: ormkit.Engine, protocol: int
) -> None:
    with Session(stored) as s:
        bob = s.get(Owner, 2)
        s.delete(bob)
        s.commit()
        copy = _copy(bob, protocol)
    with Session(stored) as s:
        merged = s.merge(copy)
        assert inspect(merged).pending
        s.commit()
        assert s.get(Owner, 2).name == "bob"


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_new_object_still_pickles(protocol: int) -> None:
    copy = _copy(Owner(id=5, name="new", pets=[Pet(id=9, name="p")]), protocol)
    assert inspect(copy).transient
    assert copy.pets[0].owner is copy


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_result_rows_pickle(stored: ormkit.Engine, protocol: int) -> None:
    with Session(stored) as s:
        row = s.execute(select(Owner.id, Owner.name).where(Owner.id == 1)).one()
        entity_row = s.execute(select(Owner).where(Owner.id == 1)).one()
        copy = _copy(row, protocol)
        entity_copy = _copy(entity_row, protocol)
    assert copy == (1, "ann") and copy.name == "ann"
    assert copy._mapping["name"] == "ann"
    assert copy._mapping[Owner.name] == "ann"
    assert entity_copy.Owner.name == "ann"
    with stored.connect() as conn:
        core = conn.execute(select(Owner.__table__.c.name).where(Owner.id == 2)).one()
    assert _copy(core, protocol).name == "bob"


def test_pickle_and_unpickle_instance_events_see_the_object() -> None:
    happened: list[tuple[str, Any]] = []

    def pickled(target: Any, state_dict: dict[str, Any]) -> None:
        happened.append(("pickle", target.name))

    def unpickled(target: Any, state_dict: dict[str, Any]) -> None:
        happened.append(("unpickle", (target.name, state_dict["name"])))

    ormkit.event.listen(Owner, "pickle", pickled)
    ormkit.event.listen(Owner, "unpickle", unpickled)
    try:
        copy = pickle.loads(pickle.dumps(Owner(id=1, name="kept")))
    finally:
        ormkit.event.remove(Owner, "pickle", pickled)
        ormkit.event.remove(Owner, "unpickle", unpickled)
    assert copy.name == "kept"
    assert happened == [("pickle", "kept"), ("unpickle", ("kept", "kept"))]
