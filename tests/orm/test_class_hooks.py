"""Methods a mapped class marks for the ORM: ``@validates`` (columns, many-to-ones and
collections, removes, backrefs, mixins) and ``@reconstructor``; on every backend."""

from __future__ import annotations

from typing import Any

import pytest

import ormkit
from ormkit import ForeignKey, String, exc, select
from ormkit.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    reconstructor,
    relationship,
    validates,
)


class Base(DeclarativeBase):
    pass


#: (class, key, value, is_remove) of every validator call, in order
calls: list[tuple[str, str, Any, bool]] = []


class UpperCasesNames:
    """A mixin whose validator applies to each class it is mapped into."""

    @validates("name")
    def _upper(self, key: str, value: str) -> str:
        return value.upper()


class Team(UpperCasesNames, Base):
    __tablename__ = "hook_teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(50))
    players: Mapped[list[Player]] = relationship(back_populates="team")

    @validates("email")
    def _check_email(self, key: str, value: str | None) -> str | None:
        if value is not None and "@" not in value:
            raise ValueError(f"{key}: not an email address: {value!r}")
        return value

    @validates("players", include_removes=True)
    def _check_player(self, key: str, player: Player, is_remove: bool) -> Player:
        calls.append(("Team", key, player.name, is_remove))
        if not is_remove and player.name == "banned":
            raise ValueError("banned players cannot join")
        return player


class Player(Base):
    __tablename__ = "hook_players"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("hook_teams.id"))
    team: Mapped[Team | None] = relationship(back_populates="players")

    @validates("team", include_backrefs=False)
    def _check_team(self, key: str, team: Team | None) -> Team | None:
        calls.append(("Player", key, team.name if team else None, False))
        return team

    @reconstructor
    def _on_load(self) -> None:
        self.loaded_from_row = True


@pytest.fixture(autouse=True)
def clean_calls() -> None:
    calls.clear()


def test_a_column_validator_runs_for_the_constructor_and_assignments(
    engine: ormkit.Engine,
) -> None:
    team = Team(name="reds")
    assert team.name == "REDS"  # the mixin's validator
    team.name = "blues"
    assert team.name == "BLUES"
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add(team)
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Team.name)).all() == ["BLUES"]


def test_a_refused_value_leaves_the_object_and_the_database_as_they_were(
    engine: ormkit.Engine,
) -> None:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        team = Team(name="a", email="a@x")
        s.add(team)
        s.commit()
        with pytest.raises(ValueError, match=r"email: not an email address: 'nope'"):
            team.email = "nope"
        assert team.email == "a@x" and team not in s.dirty
        s.commit()
    with Session(engine) as s:
        assert s.scalars(select(Team.email)).all() == ["a@x"]


def test_collection_validators_see_appends_removes_and_backref_changes() -> None:
    team, ann, bob = Team(name="t"), Player(name="ann"), Player(name="bob")
    team.players.append(ann)
    bob.team = team  # through the other side: Team's validator runs (include_backrefs)
    team.players.remove(ann)
    assert calls == [
        ("Team", "players", "ann", False),
        ("Player", "team", "T", False),
        ("Team", "players", "bob", False),
        ("Team", "players", "ann", True),
    ]  # Player's validator skipped the backref changes of team.players (include_backrefs)
    with pytest.raises(ValueError, match="banned players cannot join"):
        team.players.append(Player(name="banned"))
    assert [p.name for p in team.players] == ["bob"]


def test_a_reconstructor_runs_on_objects_loaded_from_rows_only(engine: ormkit.Engine) -> None:
    Base.metadata.create_all(engine)
    made = Player(name="new")
    assert not hasattr(made, "loaded_from_row")
    with Session(engine) as s:
        s.add(made)
        s.commit()
    with Session(engine) as s:
        loaded = s.scalars(select(Player)).one()
        assert loaded.loaded_from_row is True and loaded.name == "new"


def test_validators_do_not_run_on_loaded_values(engine: ormkit.Engine) -> None:
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(Team.__table__.insert().values(id=1, name="lower", email="bad"))
    with Session(engine) as s:
        team = s.get(Team, 1)
        assert team is not None and (team.name, team.email) == ("lower", "bad")


def test_a_validator_of_an_unknown_attribute_is_refused_naming_it() -> None:
    class Other(DeclarativeBase):
        pass

    with pytest.raises(
        exc.ArgumentError, match=r"@validates\('nmae'\) on Thing.check: Thing has no mapped att"
    ):

        class Thing(Other):
            __tablename__ = "things"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str]

            @validates("nmae")
            def check(self, key: str, value: str) -> str:
                return value


def test_two_validators_of_one_attribute_are_refused() -> None:
    class Other(DeclarativeBase):
        pass

    with pytest.raises(exc.InvalidRequestError, match=r"Twice.name has two validators, a and b"):

        class Twice(Other):
            __tablename__ = "twice"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str]

            @validates("name")
            def a(self, key: str, value: str) -> str:
                return value

            @validates("name")
            def b(self, key: str, value: str) -> str:
                return value


def test_validates_needs_a_name() -> None:
    with pytest.raises(exc.ArgumentError, match="validates\\(\\) needs the name of at least one"):
        validates()
