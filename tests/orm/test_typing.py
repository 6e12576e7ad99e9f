"""Typed models check under ``mypy --strict``: Mapped[...] attributes, select(), get()."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

TYPED_EXAMPLE = """
from __future__ import annotations

import datetime

from ormkit import ForeignKey, String, create_engine, select
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    nickname: Mapped[str | None] = mapped_column(String(50))
    created: Mapped[datetime.datetime | None]


class Address(Base):
    __tablename__ = "addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(String(50))


def main() -> None:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        user = User(name="x")
        user.nickname = None
        user.nickname = "nick"
        session.add(user)
        session.commit()

        ident: int = user.id
        name: str = user.name
        nickname: str | None = user.nickname
        print(ident, name.upper(), nickname)

        stmt = select(User).where(User.name == "x")
        found = session.scalars(stmt).first()
        if found is not None:
            upper: str = found.name.upper()
            print(upper)

        got = session.get(User, 1)
        if got is not None:
            got.name = "y"
            maybe: str | None = got.nickname
            print(maybe)

        for row in session.execute(select(User.id, User.name)):
            print(row)


if __name__ == "__main__":
    main()
"""


def run_mypy(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_typed_models_pass_mypy_strict(tmp_path: Path) -> None:
    module = tmp_path / "typed_models.py"
    module.write_text(textwrap.dedent(TYPED_EXAMPLE))
    result = run_mypy(module)
    own_errors = [line for line in result.stdout.splitlines() if "typed_models.py" in line]
    assert own_errors == []
    # and nothing else either: ormkit itself must type-check under --strict
    assert result.returncode == 0, result.stdout + result.stderr


def test_typed_example_also_runs(tmp_path: Path) -> None:
    module = tmp_path / "typed_models.py"
    module.write_text(textwrap.dedent(TYPED_EXAMPLE))
    result = subprocess.run(
        [sys.executable, str(module)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "1 X nick" in result.stdout


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('user.id = "not an int"', 'Incompatible types in assignment (expression has type "str"'),
        ("user.name = 5", 'Incompatible types in assignment (expression has type "int"'),
        ("n: int = user.nickname", 'expression has type "str | None"'),
    ],
    ids=["str_to_int", "int_to_str", "optional_to_int"],
)
def test_mypy_reports_wrong_attribute_types(tmp_path: Path, body: str, expected: str) -> None:
    module = tmp_path / "wrong_types.py"
    module.write_text(
        textwrap.dedent(
            f"""
            from ormkit import String
            from ormkit.orm import DeclarativeBase, Mapped, mapped_column


            class Base(DeclarativeBase):
                pass


            class User(Base):
                __tablename__ = "users"

                id: Mapped[int] = mapped_column(primary_key=True)
                name: Mapped[str] = mapped_column(String(50))
                nickname: Mapped[str | None] = mapped_column(String(50))


            def change(user: User) -> None:
                {body}
            """
        )
    )
    result = run_mypy(module)
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stdout
    assert "wrong_types.py:19: error" in result.stdout


DATACLASS_MODELS = """
from ormkit.orm import DeclarativeBase, Mapped, MappedAsDataclass, mapped_column, relationship


class Base(MappedAsDataclass, DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(init=False, primary_key=True)
    name: Mapped[str]
    score: Mapped[int] = mapped_column(default=0)
    posts: Mapped[list["Post"]] = relationship(default_factory=list)


class Post(Base):
    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(init=False, primary_key=True)


ok = User("ann", score=3)
total: int = ok.score
User(nmae="ann")
"""


def test_dataclass_models_type_check_their_constructor(tmp_path: Path) -> None:
    module = tmp_path / "dataclass_models.py"
    module.write_text(DATACLASS_MODELS)
    result = run_mypy(module)
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert errors == [
        f'{module}:24: error: Unexpected keyword argument "nmae" for "User"  [call-arg]'
    ], result.stdout
