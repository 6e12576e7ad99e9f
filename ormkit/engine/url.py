"""Database URLs: ``dialect+driver://user:password@host:port/database?key=value``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, unquote

from ormkit import exc

_URL = re.compile(
    r"""
    ^(?P<scheme>[\w+.-]+)://
    (?:
        (?P<username>[^:/@]*)
        (?::(?P<password>[^@]*))?
    @)?
    (?:
        \[(?P<ipv6>[^\]]+)\]
        | (?P<host>[^/:?]*)
    )?
    (?::(?P<port>[^/?]*))?
    (?:/(?P<database>[^?]*))?
    (?:\?(?P<query>.*))?$
    """,
    re.VERBOSE | re.DOTALL,
)


class URL(NamedTuple):
    """A parsed database URL; immutable, with the password masked when shown."""

    drivername: str
    username: str | None = None
    password: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    query: Mapping[str, str | tuple[str, ...]] = {}

    @classmethod
    def create(
        cls,
        drivername: str,
        username: str | None = None,
        password: str | None = None,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> URL:
        """Build a URL from its parts."""
        return cls(drivername, username, password, host, port, database, dict(query or {}))

    @property
    def backend_name(self) -> str:
        """The database part of the scheme: ``postgresql`` for ``postgresql+psycopg``."""
        return self.drivername.partition("+")[0]

    @property
    def driver(self) -> str | None:
        """The driver part of the scheme, if given: ``psycopg`` for ``postgresql+psycopg``."""
        return self.drivername.partition("+")[2] or None

    def get_backend_name(self) -> str:
        """The database part of the scheme."""
        return self.backend_name

    def set(self, **kw: Any) -> URL:
        """A copy with some parts replaced."""
        return self._replace(**kw)

    def update_query_dict(self, values: Mapping[str, str]) -> URL:
        """A copy with query parameters added or replaced."""
        query = dict(self.query)
        query.update(values)
        return self._replace(query=query)

    def render_as_string(self, hide_password: bool = True) -> str:
        """The URL as text; the password shows as ``***`` unless ``hide_password=False``."""
        text = f"{self.drivername}://"
        if self.username is not None:
            text += quote(self.username, safe=" +")
            if self.password is not None:
                text += ":" + ("***" if hide_password else quote(self.password, safe=" +"))
            text += "@"
        if self.host is not None:
            text += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            text += f":{self.port}"
        if self.database is not None:
            text += "/" + self.database
        if self.query:
            pairs = []
            for key, value in self.query.items():
                for item in (value,) if isinstance(value, str) else value:
                    pairs.append(f"{quote(key)}={quote(item, safe='/')}")
            text += "?" + "&".join(pairs)
        return text

    def __str__(self) -> str:
        return self.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return self.render_as_string(hide_password=True)

    def translate_connect_args(self, **names: str) -> dict[str, Any]:
        """``host``/``username``/... as driver keyword arguments, renamed via ``names``."""
        out: dict[str, Any] = {}
        for part in ("host", "database", "username", "password", "port"):
            value = getattr(self, part)
            if value is not None:
                out[names.get(part, part)] = value
        return out


def make_url(name_or_url: str | URL) -> URL:
    """Parse a URL string (a ``URL`` passes through unchanged)."""
    if isinstance(name_or_url, URL):
        return name_or_url
    if not isinstance(name_or_url, str):
        raise exc.ArgumentError(f"expected a database URL string, got {name_or_url!r}")
    match = _URL.match(name_or_url.strip())
    if match is None:
        raise exc.ArgumentError(
            f"could not parse a database URL from {name_or_url!r}; expected the form "
            "dialect+driver://user:password@host:port/database, e.g. sqlite:///app.db"
        )
    parts = match.groupdict()
    port: int | None = None
    if parts["port"]:
        try:
            port = int(parts["port"])
        except ValueError:
            raise exc.ArgumentError(
                f"the port in database URL {mask(name_or_url)!r} is not a number: {parts['port']!r}"
            ) from None
    query: dict[str, str | tuple[str, ...]] = {}
    for key, value in parse_qsl(parts["query"] or "", keep_blank_values=True):
        if key in query:
            old = query[key]
            query[key] = (*((old,) if isinstance(old, str) else old), value)
        else:
            query[key] = value
    host = parts["ipv6"] or parts["host"] or None
    return URL(
        drivername=parts["scheme"],
        username=unquote(parts["username"]) if parts["username"] else None,
        password=unquote(parts["password"]) if parts["password"] is not None else None,
        host=unquote(host) if host else None,
        port=port,
        database=unquote(parts["database"]) if parts["database"] else None,
        query=query,
    )


def mask(url_text: str) -> str:
    """``url_text`` with any password replaced by ``***``."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url_text)
