"""Database URLs: parsing, escaping, password masking, and the dialect registry's errors."""

from __future__ import annotations

import pytest

from ormkit import URL, create_engine, dialects, exc, make_url

FULL = "postgresql+psycopg://sc%40tt:p%40ss%3Aw%2Fd@db.example.com:5433/app?sslmode=require"


def test_make_url_parses_every_part() -> None:
    u = make_url(FULL)
    assert u.drivername == "postgresql+psycopg"
    assert u.get_backend_name() == "postgresql"
    assert u.driver == "psycopg"
    assert u.username == "sc@tt"
    assert u.password == "p@ss:w/d"
    assert u.host == "db.example.com"
    assert u.port == 5433
    assert isinstance(u.port, int)
    assert u.database == "app"
    assert dict(u.query) == {"sslmode": "require"}


def test_url_escaped_special_characters_in_password_are_unescaped() -> None:
    u = make_url("mysql+pymysql://user:a%2Fb%3Ac%40d%25e%3Ff%23g%20h@localhost/db")
    assert u.password == "a/b:c@d%e?f#g h"
    assert u.host == "localhost"
    assert u.database == "db"


def test_url_without_driver_has_no_driver_part() -> None:
    u = make_url("postgresql://scott@localhost/app")
    assert u.drivername == "postgresql"
    assert u.driver is None
    assert u.password is None
    assert u.port is None


def test_url_repeated_query_keys_become_a_tuple() -> None:
    u = make_url("postgresql://h/db?opt=a&opt=b&single=1")
    assert u.query["opt"] == ("a", "b")
    assert u.query["single"] == "1"


def test_url_ipv6_host_in_brackets() -> None:
    u = make_url("postgresql://scott@[::1]:5432/db")
    assert u.host == "::1"
    assert u.port == 5432


def test_url_password_is_masked_in_repr_and_str() -> None:
    u = make_url("postgresql://scott:tiger@localhost/app")
    for shown in (repr(u), str(u)):
        assert "tiger" not in shown
        assert shown == "postgresql://scott:***@localhost/app"


def test_url_masked_password_with_special_characters_is_not_leaked() -> None:
    u = make_url(FULL)
    for shown in (repr(u), str(u)):
        assert "p@ss" not in shown
        assert "p%40ss" not in shown
        assert ":***@" in shown


def test_render_as_string_shows_password_escaped_and_round_trips() -> None:
    u = make_url(FULL)
    rendered = u.render_as_string(hide_password=False)
    assert rendered == FULL
    assert make_url(rendered) == u


def test_render_as_string_repeats_repeated_query_keys() -> None:
    text = "postgresql://h/db?opt=a&opt=b"
    assert make_url(text).render_as_string(hide_password=False) == text


def test_url_create_renders_special_characters_escaped() -> None:
    u = URL.create("postgresql", username="me", password="p@ss/w:rd", host="h", database="d")
    rendered = u.render_as_string(hide_password=False)
    assert rendered == "postgresql://me:p%40ss%2Fw%3Ard@h/d"
    assert make_url(rendered).password == "p@ss/w:rd"


def test_url_set_returns_a_copy_with_the_part_replaced() -> None:
    u = make_url("postgresql://scott:tiger@localhost/app")
    changed = u.set(database="other", port=6543)
    assert (changed.database, changed.port) == ("other", 6543)
    assert (u.database, u.port) == ("app", None)


def test_make_url_passes_a_url_object_through() -> None:
    u = make_url(FULL)
    assert make_url(u) is u


@pytest.mark.parametrize(
    ("text", "database"),
    [
        ("sqlite://", None),
        ("sqlite:///:memory:", ":memory:"),
        ("sqlite:///relative.db", "relative.db"),
        ("sqlite:////absolute/path.db", "/absolute/path.db"),
    ],
)
def test_sqlite_urls_keep_the_database_path(text: str, database: str | None) -> None:
    u = make_url(text)
    assert u.drivername == "sqlite"
    assert u.database == database
    assert u.host is None


@pytest.mark.parametrize("bad", ["not a url", "://nothing", "postgresql:/one-slash/db", ""])
def test_unparseable_url_raises_argument_error_naming_the_form(bad: str) -> None:
    with pytest.raises(exc.ArgumentError, match="could not parse a database URL") as info:
        make_url(bad)
    assert repr(bad) in str(info.value)
    assert "dialect+driver://" in str(info.value)


def test_non_string_url_raises_argument_error() -> None:
    with pytest.raises(exc.ArgumentError, match="expected a database URL string, got 42"):
        make_url(42)  # type: ignore[arg-type]


def test_non_numeric_port_raises_argument_error_without_leaking_password() -> None:
    with pytest.raises(exc.ArgumentError, match="is not a number: 'abc'") as info:
        make_url("postgresql://scott:tiger@localhost:abc/db")
    message = str(info.value)
    assert "port" in message
    assert "tiger" not in message
    assert "***" in message


def test_create_engine_unknown_scheme_lists_supported_urls() -> None:
    with pytest.raises(exc.NoSuchModuleError) as info:
        create_engine("nosuchdb://localhost/db")
    message = str(info.value)
    assert "no dialect for 'nosuchdb'" in message
    assert "ormkit supports: sqlite://, sqlite+pysqlite://" in message


def test_create_engine_unknown_driver_for_known_backend_is_reported() -> None:
    with pytest.raises(exc.NoSuchModuleError, match=r"no driver 'nodriver' for sqlite"):
        create_engine("sqlite+nodriver://")


def test_no_such_module_error_is_an_argument_error() -> None:
    with pytest.raises(exc.ArgumentError):
        create_engine("nosuchdb://")


def _supported() -> str:
    return ", ".join(f"{scheme}://" for scheme in dialects.registry)


@pytest.mark.parametrize(
    ("scheme", "database"),
    [
        ("postgresql+pg8000", "postgresql"),
        ("postgresql+psycopg2", "postgresql"),
        ("postgresql+asyncpg", "postgresql"),
        ("mysql+mysqldb", "mysql"),
        ("mysql+mysqlconnector", "mysql"),
        ("mysql+asyncmy", "mysql"),
        ("mariadb+mariadbconnector", "mariadb"),
        ("sqlite+aiosqlite", "sqlite"),
    ],
)
def test_driver_ormkit_lacks_is_named_with_the_urls_it_supports(scheme: str, database: str) -> None:
    with pytest.raises(exc.NoSuchModuleError) as info:
        create_engine(f"{scheme}://scott:tiger@localhost/app")
    message = str(info.value)
    driver = scheme.partition("+")[2]
    assert (
        f"cannot open {scheme}:// URLs: ormkit has no driver {driver!r} for {database}" in message
    )
    same_backend = [f"{s}://" for s in dialects.registry if s.partition("+")[0] == database]
    assert f"for {database} use {' or '.join(same_backend)}" in message
    assert message.endswith(f"ormkit supports: {_supported()}")
    assert "install" not in message  # no package makes an unknown driver work
    assert "tiger" not in message


@pytest.mark.parametrize("scheme", ["mssql", "mssql+pyodbc", "oracle", "oracle+cx_oracle"])
def test_dialect_ormkit_lacks_is_named_with_the_urls_it_supports(scheme: str) -> None:
    with pytest.raises(exc.NoSuchModuleError) as info:
        create_engine(f"{scheme}://scott:tiger@localhost/app")
    message = str(info.value)
    assert f"ormkit has no dialect for {scheme.partition('+')[0]!r}" in message
    assert message.endswith(f"ormkit supports: {_supported()}")
    assert "install" not in message


def test_supported_urls_in_the_error_follow_the_dialect_registry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(dialects.registry, "postgresql+otherdriver", "tests:NoSuchClass")
    with pytest.raises(exc.NoSuchModuleError) as info:
        create_engine("postgresql+pg8000://localhost/app")
    message = str(info.value)
    assert "use postgresql:// or postgresql+psycopg:// or postgresql+otherdriver://" in message
    assert message.endswith(", postgresql+otherdriver://")


def test_create_engine_unknown_keyword_argument_is_rejected() -> None:
    with pytest.raises(exc.ArgumentError, match=r"unknown argument\(s\): pool_sise"):
        create_engine("sqlite://", pool_sise=3)


def test_sqlite_url_with_host_is_rejected() -> None:
    with pytest.raises(exc.ArgumentError, match="takes no user, password, host or port"):
        create_engine("sqlite://somehost/db.sqlite")
