"""Type objects: the DDL name per dialect, and value conversion where the driver has none.

A type turns Python values into what the driver accepts (``bind_processor``) and driver values
back into the Python type that went in (``result_processor``). Each asks the dialect's feature
flags (``supports_native_decimal`` and friends) whether conversion is needed, so a backend that
handles a type natively pays nothing. The DDL name is looked up in the dialect's ``type_ddl``
table first (a data-only override per database) and falls back to ``default_ddl``.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ormkit import exc

if TYPE_CHECKING:
    from ormkit.sql.compiler import GenericDialect

Processor = Callable[[Any], Any]
_T = TypeVar("_T")


class TypeEngine(Generic[_T]):
    """Base of all column types."""

    #: The Python type values of this SQL type come back as.
    python_type: ClassVar[type] = object
    #: Arguments that make up this type's identity (cache keys, repr, equality).
    _args: ClassVar[tuple[str, ...]] = ()
    #: True for string-like types, where ``+`` means concatenation.
    _concatenable: ClassVar[bool] = False
    #: True for number types, where arithmetic keeps a number type.
    _numeric: ClassVar[bool] = False

    def default_ddl(self, dialect: GenericDialect) -> str:
        """The type's name in CREATE TABLE when the dialect has no override."""
        return type(self).__name__.upper()

    def ddl(self, dialect: GenericDialect) -> str:
        """The type's name in CREATE TABLE for ``dialect``."""
        for cls in type(self).__mro__:
            render = dialect.type_ddl.get(cls)
            if render is not None:
                return render(self)
        return self.default_ddl(dialect)

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        """A function turning a Python value into a driver value, or None when not needed."""
        return None

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        """A function turning a driver value into a Python value, or None when not needed."""
        return None

    def literal_sql(self, value: Any) -> str:
        """Render ``value`` inline (only used by ``str()`` with literal_binds and DDL defaults)."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, int | float | decimal.Decimal):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    @property
    def cache_key(self) -> tuple[Any, ...]:
        """What distinguishes this type in a statement's cache key (computed once)."""
        key: tuple[Any, ...] | None = self.__dict__.get("_ok_cache_key")
        if key is None:
            key = (type(self), *[_hashable(getattr(self, a)) for a in self._args])
            self.__dict__["_ok_cache_key"] = key
        return key

    def result_type(self, op: str, other: TypeEngine[Any]) -> TypeEngine[Any]:
        """The type of ``self <op> other`` for an arithmetic operator."""
        return self

    def coerce_compared_value(self, value: Any) -> TypeEngine[Any]:
        """The type a plain Python value compared with this type is bound as."""
        return self

    def copy(self) -> TypeEngine[_T]:
        """A fresh instance with the same arguments."""
        return type(self)(**{a: getattr(self, a) for a in self._args})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TypeEngine) and self.cache_key == other.cache_key

    def __hash__(self) -> int:
        return hash(self.cache_key)

    def __repr__(self) -> str:
        args = ", ".join(
            f"{a}={getattr(self, a)!r}" for a in self._args if getattr(self, a) is not None
        )
        return f"{type(self).__name__}({args})"


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


class NullType(TypeEngine[Any]):
    """The type of an expression whose type is unknown; values pass through unchanged."""

    def default_ddl(self, dialect: GenericDialect) -> str:
        raise exc.CompileError(
            "a column has no type (NullType); give it a type such as Integer or String"
        )

    def coerce_compared_value(self, value: Any) -> TypeEngine[Any]:
        return type_for_value(value)


class Integer(TypeEngine[int]):
    """A whole number."""

    python_type = int
    _numeric = True

    def result_type(self, op: str, other: TypeEngine[Any]) -> TypeEngine[Any]:
        if op == "/" or isinstance(other, Numeric):
            return other if isinstance(other, Numeric) else self
        return self


class SmallInteger(Integer):
    """A small whole number (two bytes on most databases)."""

    def default_ddl(self, dialect: GenericDialect) -> str:
        return "SMALLINT"


class BigInteger(Integer):
    """A large whole number (eight bytes)."""

    def default_ddl(self, dialect: GenericDialect) -> str:
        return "BIGINT"


class Boolean(TypeEngine[bool]):
    """True or False; stored as 0/1 where the database has no boolean."""

    python_type = bool

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        def process(value: Any) -> Any:
            if value is None or isinstance(value, bool):
                return value
            if value in (0, 1) and isinstance(value, int):
                return bool(value)
            raise TypeError(f"expected True, False or None, got {type(value).__name__} {value!r}")

        return process

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        if dialect.supports_native_boolean:
            return None
        return lambda value: None if value is None else bool(value)

    def literal_sql(self, value: Any) -> str:
        return "NULL" if value is None else ("true" if value else "false")


class Numeric(TypeEngine[decimal.Decimal]):
    """An exact decimal number: ``Decimal`` in, ``Decimal`` out."""

    python_type = decimal.Decimal
    _args = ("precision", "scale", "asdecimal")
    _numeric = True

    def __init__(
        self, precision: int | None = None, scale: int | None = None, asdecimal: bool = True
    ) -> None:
        self.precision = precision
        self.scale = scale
        self.asdecimal = asdecimal

    def default_ddl(self, dialect: GenericDialect) -> str:
        name = type(self).__name__.upper()
        if self.precision is None:
            return name
        if self.scale is None:
            return f"{name}({self.precision})"
        return f"{name}({self.precision}, {self.scale})"

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        if dialect.supports_native_decimal:
            return None
        # SQLite stores NUMERIC as REAL (15 significant digits); bind floats so arithmetic
        # and comparisons in SQL behave as numbers, and rebuild the Decimal on the way out.
        return lambda value: value if value is None else float(value)

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        if not self.asdecimal:
            return lambda value: value if value is None else float(value)
        if dialect.supports_native_decimal:
            return None
        scale = self.scale
        if scale is not None:
            quantum = decimal.Decimal(1).scaleb(-scale)

            def to_decimal_scaled(value: Any) -> Any:
                if value is None or isinstance(value, decimal.Decimal):
                    return value
                return decimal.Decimal(repr(value)).quantize(quantum)

            return to_decimal_scaled

        def to_decimal(value: Any) -> Any:
            if value is None or isinstance(value, decimal.Decimal):
                return value
            return decimal.Decimal(repr(value) if isinstance(value, float) else str(value))

        return to_decimal

    def result_type(self, op: str, other: TypeEngine[Any]) -> TypeEngine[Any]:
        return self


class Float(Numeric):
    """A floating-point number: ``float`` in, ``float`` out."""

    python_type = float  # type: ignore[assignment]

    def __init__(
        self, precision: int | None = None, scale: int | None = None, asdecimal: bool = False
    ) -> None:
        super().__init__(precision, None, asdecimal)

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        return None

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        if self.asdecimal:
            return lambda value: value if value is None else decimal.Decimal(repr(value))
        # drivers hand back Decimal for some float expressions (MySQL) and int for others
        return lambda value: value if value is None or type(value) is float else float(value)


class Double(Float):
    """A double-precision floating-point number."""

    def default_ddl(self, dialect: GenericDialect) -> str:
        return "DOUBLE PRECISION"


class String(TypeEngine[str]):
    """Text of bounded length: ``VARCHAR(length)``."""

    python_type = str
    _args = ("length", "collation")
    _concatenable = True

    def __init__(self, length: int | None = None, collation: str | None = None) -> None:
        self.length = length
        self.collation = collation

    def default_ddl(self, dialect: GenericDialect) -> str:
        name = "VARCHAR" if self.length is None else f"VARCHAR({self.length})"
        return f'{name} COLLATE "{self.collation}"' if self.collation else name

    def coerce_compared_value(self, value: Any) -> TypeEngine[Any]:
        return self if isinstance(value, str) else type_for_value(value)


class Text(String):
    """Text of unbounded length: ``TEXT``."""

    def default_ddl(self, dialect: GenericDialect) -> str:
        return "TEXT"


class Unicode(String):
    """Text that may hold any Unicode character (all ormkit strings do)."""


class UnicodeText(Text):
    """Unbounded Unicode text."""


def _checked(kind: type, name: str) -> Processor:
    """A bind processor that rejects values of the wrong Python type with a clear message."""

    def check(value: Any) -> Any:
        if value is None or isinstance(value, kind):
            return value
        raise TypeError(f"expected {name}, got {type(value).__name__} {value!r}")

    return check


def _midnight(value: Any) -> datetime.datetime:
    """A date as the datetime of its midnight (as SQLAlchemy stores it); else a TypeError.

    Only called for values that are not a datetime already, so datetimes pay nothing.
    """
    if isinstance(value, datetime.date):
        return datetime.datetime(value.year, value.month, value.day)
    raise TypeError(f"expected a datetime.datetime, got {type(value).__name__} {value!r}")


def _native_datetime(value: Any) -> Any:
    """A datetime for a driver that takes them as they are."""
    if value is None or isinstance(value, datetime.datetime):
        return value
    return _midnight(value)


def _datetime_text(value: Any) -> Any:
    """A datetime as ISO text, for a database that stores it as text (SQLite)."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        value = _midnight(value)
    return value.isoformat(" ", "microseconds")


def _to_naive_utc(value: Any) -> Any:
    """An aware datetime as naive UTC, for a database that stores no offset (MySQL)."""
    if value is None:
        return None
    if not isinstance(value, datetime.datetime):
        return _midnight(value)
    if value.tzinfo is None:
        return value
    return value.astimezone(datetime.UTC).replace(tzinfo=None)


def _as_utc(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value


class DateTime(TypeEngine[datetime.datetime]):
    """A date and time of day; ``timezone=True`` keeps the UTC offset.

    A ``datetime.date`` is taken as its midnight, as SQLAlchemy does, and reads back as a
    ``datetime.datetime``.
    """

    python_type = datetime.datetime
    _args = ("timezone",)

    def __init__(self, timezone: bool = False) -> None:
        self.timezone = timezone

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        if self.timezone and not dialect.supports_timezone_datetime:
            return _to_naive_utc
        if dialect.supports_native_datetime:
            return _native_datetime
        return _datetime_text

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        if self.timezone and not dialect.supports_timezone_datetime:
            return _as_utc
        if dialect.supports_native_datetime:
            return None

        def from_text(value: Any) -> Any:
            if value is None or isinstance(value, datetime.datetime):
                return value
            return datetime.datetime.fromisoformat(value)

        return from_text

    def result_type(self, op: str, other: TypeEngine[Any]) -> TypeEngine[Any]:
        if op == "-" and isinstance(other, DateTime):
            return Interval()
        return self


class Date(TypeEngine[datetime.date]):
    """A calendar date."""

    python_type = datetime.date

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        def to_date(value: Any) -> Any:
            if value is None:
                return None
            if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date):
                raise TypeError(f"expected a datetime.date, got {type(value).__name__} {value!r}")
            return value if dialect.supports_native_datetime else value.isoformat()

        return to_date

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        if dialect.supports_native_datetime:
            return None

        def from_text(value: Any) -> Any:
            if value is None or isinstance(value, datetime.date):
                return value
            return datetime.date.fromisoformat(value[:10])

        return from_text


class Time(TypeEngine[datetime.time]):
    """A time of day."""

    python_type = datetime.time
    _args = ("timezone",)

    def __init__(self, timezone: bool = False) -> None:
        self.timezone = timezone

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        if dialect.supports_native_datetime:
            return _checked(datetime.time, "a datetime.time")

        def to_text(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, datetime.time):
                raise TypeError(f"expected a datetime.time, got {type(value).__name__} {value!r}")
            return value.isoformat("microseconds")

        return to_text

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        if dialect.time_as_timedelta:
            return _time_from_timedelta
        if dialect.supports_native_datetime:
            return None
        return lambda value: value if value is None else datetime.time.fromisoformat(value)


def _time_from_timedelta(value: Any) -> Any:
    if not isinstance(value, datetime.timedelta):
        return value
    return (datetime.datetime.min + value).time()


_MICROSECOND = datetime.timedelta(microseconds=1)


class Interval(TypeEngine[datetime.timedelta]):
    """A span of time; stored as whole microseconds where the database has no interval."""

    python_type = datetime.timedelta

    def default_ddl(self, dialect: GenericDialect) -> str:
        return "INTERVAL" if dialect.supports_native_interval else "BIGINT"

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        if dialect.supports_native_interval:
            return _checked(datetime.timedelta, "a datetime.timedelta")

        def to_micro(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, datetime.timedelta):
                raise TypeError(
                    f"expected a datetime.timedelta, got {type(value).__name__} {value!r}"
                )
            return value // _MICROSECOND

        return to_micro

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        if dialect.supports_native_interval:
            return None
        return lambda value: value if value is None else datetime.timedelta(microseconds=value)


class LargeBinary(TypeEngine[bytes]):
    """Bytes of any length."""

    python_type = bytes
    _args = ("length",)

    def __init__(self, length: int | None = None) -> None:
        self.length = length

    def default_ddl(self, dialect: GenericDialect) -> str:
        return "BLOB"

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        return _checked(bytes | bytearray | memoryview, "bytes")  # type: ignore[arg-type]

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        return lambda value: value if value is None or type(value) is bytes else bytes(value)


class Enum(TypeEngine[Any]):
    """One of a fixed set of values: the members of a Python ``enum.Enum``, or strings.

    Enum members are stored by name (as SQLAlchemy does) and come back as members.
    """

    _args = ("enum_class", "values", "name", "length", "native_enum")

    def __init__(
        self,
        *values: Any,
        name: str | None = None,
        length: int | None = None,
        native_enum: bool = True,
    ) -> None:
        self.enum_class: type[enum.Enum] | None = None
        if len(values) == 1 and isinstance(values[0], type) and issubclass(values[0], enum.Enum):
            self.enum_class = values[0]
            names: tuple[str, ...] = tuple(self.enum_class.__members__)
        else:
            if not all(isinstance(v, str) for v in values):
                raise exc.ArgumentError(
                    f"Enum() takes one enum.Enum class or strings, got {values!r}"
                )
            names = tuple(values)
        if not names:
            raise exc.ArgumentError("Enum() needs at least one value")
        self.values = names
        self.name = name or (self.enum_class.__name__.lower() if self.enum_class else None)
        self.length = length or max(len(v) for v in names)
        self.native_enum = native_enum

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return self.enum_class or str

    def copy(self) -> Enum:
        return Enum(
            *((self.enum_class,) if self.enum_class else self.values),
            name=self.name,
            length=self.length,
            native_enum=self.native_enum,
        )

    def default_ddl(self, dialect: GenericDialect) -> str:
        return f"VARCHAR({self.length})"

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        allowed = frozenset(self.values)
        enum_class = self.enum_class

        def to_name(value: Any) -> Any:
            if value is None:
                return None
            if enum_class is not None and isinstance(value, enum_class):
                return value.name
            if isinstance(value, str) and value in allowed:
                return value
            raise ValueError(f"{value!r} is not one of {sorted(allowed)!r}")

        return to_name

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        if self.enum_class is None:
            return None
        members = self.enum_class.__members__
        return lambda value: value if value is None else members[value]

    def coerce_compared_value(self, value: Any) -> TypeEngine[Any]:
        return self


class JSON(TypeEngine[Any]):
    """A JSON document: dicts, lists, strings, numbers, booleans.

    Python ``None`` is stored as SQL NULL when ``none_as_null`` is true, else as JSON ``null``.
    """

    _args = ("none_as_null",)
    hashable = False

    def __init__(self, none_as_null: bool = False) -> None:
        self.none_as_null = none_as_null

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        dumps = dialect.json_serializer or json.dumps
        none_as_null = self.none_as_null
        if dialect.supports_native_json and dialect.json_bind_wrapper is not None:
            wrap = dialect.json_bind_wrapper
            return lambda value: None if value is None and none_as_null else wrap(value, dumps)

        def to_json(value: Any) -> Any:
            if value is None and none_as_null:
                return None
            try:
                return dumps(value)
            except (TypeError, ValueError) as err:
                raise TypeError(f"value is not JSON serializable: {err}") from err

        return to_json

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        if dialect.supports_native_json:
            return None  # the driver parsed it (a JSON string must not be parsed twice)
        loads = dialect.json_deserializer or json.loads
        return lambda value: (
            value if value is None or not isinstance(value, str | bytes) else loads(value)
        )

    def coerce_compared_value(self, value: Any) -> TypeEngine[Any]:
        return self


class Uuid(TypeEngine[uuid.UUID]):
    """A UUID; ``uuid.UUID`` in and out, stored as 32 hex characters where not native."""

    python_type = uuid.UUID
    _args = ("as_uuid",)

    def __init__(self, as_uuid: bool = True) -> None:
        self.as_uuid = as_uuid

    def default_ddl(self, dialect: GenericDialect) -> str:
        return "UUID" if dialect.supports_native_uuid else "CHAR(32)"

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        native = dialect.supports_native_uuid

        def to_driver(value: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, uuid.UUID):
                if not isinstance(value, str):
                    raise TypeError(f"expected a uuid.UUID, got {type(value).__name__} {value!r}")
                value = uuid.UUID(value)
            return value if native else value.hex

        return to_driver

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        if self.as_uuid:
            return lambda value: (
                value if value is None or isinstance(value, uuid.UUID) else uuid.UUID(str(value))
            )
        return lambda value: value if value is None else str(uuid.UUID(str(value)))


UUID = Uuid


class TypeDecorator(TypeEngine[Any]):
    """A user type built on an existing one: subclass, set ``impl``, and override
    ``process_bind_param`` / ``process_result_value``.
    """

    impl: ClassVar[type[TypeEngine[Any]] | TypeEngine[Any]]
    cache_ok: ClassVar[bool] = True

    def __init__(self, *args: Any, **kw: Any) -> None:
        impl = type(self).impl
        self.impl_instance: TypeEngine[Any] = impl(*args, **kw) if isinstance(impl, type) else impl

    @property
    def python_type(self) -> type:  # type: ignore[override]
        return self.impl_instance.python_type

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return (type(self), self.impl_instance.cache_key)

    def copy(self) -> TypeDecorator:
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        return new

    def process_bind_param(self, value: Any, dialect: GenericDialect) -> Any:
        """Turn a Python value into one the ``impl`` type accepts."""
        return value

    def process_result_value(self, value: Any, dialect: GenericDialect) -> Any:
        """Turn a value the ``impl`` type produced into the Python value to return."""
        return value

    def ddl(self, dialect: GenericDialect) -> str:
        return self.impl_instance.ddl(dialect)

    def bind_processor(self, dialect: GenericDialect) -> Processor | None:
        inner = self.impl_instance.bind_processor(dialect)
        outer = self.process_bind_param
        if inner is None:
            return lambda value: outer(value, dialect)
        return lambda value: inner(outer(value, dialect))

    def result_processor(self, dialect: GenericDialect) -> Processor | None:
        inner = self.impl_instance.result_processor(dialect)
        outer = self.process_result_value
        if inner is None:
            return lambda value: outer(value, dialect)
        return lambda value: outer(inner(value), dialect)

    def coerce_compared_value(self, value: Any) -> TypeEngine[Any]:
        return self

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


# Short uppercase names that mirror SQL types, as SQLAlchemy offers them.
class INTEGER(Integer):
    """``INTEGER``."""


class VARCHAR(String):
    """``VARCHAR``."""


class TEXT(Text):
    """``TEXT``."""


class BOOLEAN(Boolean):
    """``BOOLEAN``."""


class FLOAT(Float):
    """``FLOAT``."""


class NUMERIC(Numeric):
    """``NUMERIC``."""


class DECIMAL(Numeric):
    """``DECIMAL``."""


class DATETIME(DateTime):
    """``DATETIME``."""


class TIMESTAMP(DateTime):
    """``TIMESTAMP``."""


class DATE(Date):
    """``DATE``."""


class CHAR(String):
    """``CHAR(length)``."""

    def default_ddl(self, dialect: GenericDialect) -> str:
        return "CHAR" if self.length is None else f"CHAR({self.length})"


class BLOB(LargeBinary):
    """``BLOB``."""


_PYTHON_TYPES: tuple[tuple[type, Callable[[], TypeEngine[Any]]], ...] = (
    (bool, Boolean),
    (int, Integer),
    (float, Float),
    (decimal.Decimal, Numeric),
    (str, String),
    (datetime.datetime, DateTime),
    (datetime.date, Date),
    (datetime.time, Time),
    (datetime.timedelta, Interval),
    (bytes, LargeBinary),
    (uuid.UUID, Uuid),
)
_TYPE_BY_EXACT_CLASS: dict[type, TypeEngine[Any]] = {cls: make() for cls, make in _PYTHON_TYPES}
NULLTYPE = NullType()


def type_for_value(value: Any) -> TypeEngine[Any]:
    """The natural SQL type of a plain Python value (``5`` -> Integer), NullType if unknown."""
    found = _TYPE_BY_EXACT_CLASS.get(type(value))
    if found is not None:
        return found
    for cls, _ in _PYTHON_TYPES:
        if isinstance(value, cls):
            return _TYPE_BY_EXACT_CLASS[cls]
    if isinstance(value, enum.Enum):
        return Enum(type(value))
    return NULLTYPE


def to_instance(type_: TypeEngine[Any] | type[TypeEngine[Any]] | None) -> TypeEngine[Any]:
    """Accept a type class or instance (``Integer`` or ``Integer()``); None means NullType."""
    if type_ is None:
        return NULLTYPE
    if isinstance(type_, type):
        if not issubclass(type_, TypeEngine):
            raise exc.ArgumentError(f"expected a type such as Integer or String(50), got {type_!r}")
        return type_()
    if not isinstance(type_, TypeEngine):
        raise exc.ArgumentError(f"expected a type such as Integer or String(50), got {type_!r}")
    return type_
