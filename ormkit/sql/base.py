"""What statements share: generative copies, and the execution options they carry.

``select(...).execution_options(yield_per=100)`` returns a copy holding the options; they
take no part in the SQL (nor in the statement's cache key) and are merged, at execution,
over the engine's and the connection's and under the ones given to ``execute()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from ormkit import exc

_S = TypeVar("_S", bound="Generative")
_E = TypeVar("_E", bound="Executable")

#: Options that belong to a connection (or an engine), never to one statement.
CONNECTION_ONLY = MappingProxyType(
    {
        "isolation_level": "on Connection.execution_options(), or per engine with "
        "create_engine(isolation_level=...)",
        "compiled_cache": "on Connection.execution_options() or Engine.execution_options()",
    }
)

#: Options SQLAlchemy documents that ormkit does not carry out yet: refused wherever they are
#: given (any other name is the application's own, kept for its code to read).
NOT_SUPPORTED = MappingProxyType(
    {
        "dml_strategy": "the choice of ORM bulk INSERT/UPDATE strategy",
        "is_delete_using": "DELETE ... USING",
        "is_update_from": "UPDATE ... FROM",
        "identity_token": "horizontal sharding",
        "render_nulls": "NULLs rendered into bulk INSERTs",
        "schema_translate_map": "schema names translated at execution",
    }
)

_NO_OPTIONS: Mapping[str, Any] = MappingProxyType({})


#: Options that take a number of rows.
_ROW_COUNTS = ("yield_per", "max_row_buffer", "insertmanyvalues_page_size")


def check_supported(options: Mapping[str, Any]) -> None:
    """Refuse execution options ormkit does not carry out (see NOT_SUPPORTED), and values the
    options it does carry out cannot take."""
    for name in options:
        if name in NOT_SUPPORTED:
            raise exc.ArgumentError(
                f"the {name!r} execution option ({NOT_SUPPORTED[name]}) is not supported yet"
            )
    for name in _ROW_COUNTS:
        value = options.get(name)
        if value is not None and (type(value) is not int or value < 1):
            raise exc.ArgumentError(
                f"{name} takes a positive number of rows, got {value!r} (the {name!r} "
                "execution option)"
            )
    cache = options.get("compiled_cache")
    if cache is not None and not (hasattr(cache, "get") and hasattr(cache, "__setitem__")):
        raise exc.ArgumentError(
            f"the 'compiled_cache' execution option takes a dict (or None to compile every "
            f"statement), got {cache!r}"
        )


class Generative:
    """Statements that return a modified copy from each builder method."""

    def _generate(self: _S) -> _S:
        new = self.__class__.__new__(self.__class__)
        new.__dict__.update(self.__dict__)
        new.__dict__.pop("_ck", None)  # the memoized cache key belongs to the old statement
        return new


class Executable(Generative):
    """A statement that can be run: SELECT, INSERT, UPDATE, DELETE and ``text()``."""

    _execution_options: Mapping[str, Any] = _NO_OPTIONS

    def execution_options(self: _E, **options: Any) -> _E:
        """A copy of the statement with these options added to the ones it has."""
        for name, where in CONNECTION_ONLY.items():
            if name in options:
                raise exc.ArgumentError(
                    f"the {name!r} execution option cannot be given to a statement; set it {where}"
                )
        check_supported(options)
        new = self._generate()
        new._execution_options = MappingProxyType({**self._execution_options, **options})
        return new

    def get_execution_options(self) -> dict[str, Any]:
        """The options given to this statement with ``execution_options()``."""
        return dict(self._execution_options)
