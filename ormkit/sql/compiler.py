"""Rendering statements as SQL text plus the order in which to send their values.

The compiler dispatches on node class through a table built once per compiler class from
methods registered with ``@handles(NodeClass)``. Dialects subclass it to override a handler
and set flags on their ``GenericDialect`` subclass for small differences.

Bound parameters are first rendered as markers; once the whole text exists (CTEs are rendered
ahead of the body) the markers become the driver's placeholders in text order, so positional
paramstyles always line up with their values.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from ormkit import exc
from ormkit.sql import cache_key
from ormkit.sql import elements as el
from ormkit.sql import operators as ops
from ormkit.sql import selectable as sel
from ormkit.sql import types as sqltypes
from ormkit.sql.bindnames import driver_names
from ormkit.sql.coercions import LabelReference
from ormkit.sql.compiler_dml import REPEAT_MARKER, DMLRendering
from ormkit.sql.plugins import handles
from ormkit.sql.schema import ColumnDefault

# Words that must be quoted as identifiers on at least one supported database.
RESERVED_WORDS = frozenset(
    [
        "all",
        "alter",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "authorization",
        "between",
        "binary",
        "both",
        "by",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "cross",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "delete",
        "desc",
        "distinct",
        "do",
        "drop",
        "else",
        "end",
        "except",
        "exists",
        "false",
        "fetch",
        "for",
        "foreign",
        "freeze",
        "from",
        "full",
        "grant",
        "group",
        "having",
        "ilike",
        "in",
        "index",
        "initially",
        "inner",
        "insert",
        "intersect",
        "into",
        "is",
        "isnull",
        "join",
        "key",
        "lateral",
        "leading",
        "left",
        "like",
        "limit",
        "localtime",
        "localtimestamp",
        "natural",
        "not",
        "notnull",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "outer",
        "over",
        "overlaps",
        "placing",
        "primary",
        "references",
        "returning",
        "right",
        "select",
        "session_user",
        "set",
        "similar",
        "some",
        "symmetric",
        "table",
        "tablesample",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "update",
        "user",
        "using",
        "values",
        "variadic",
        "verbose",
        "when",
        "where",
        "window",
        "with",
        "range",
        "rows",
        "groups",
        "database",
        "databases",
        "schema",
        "schemas",
        "div",
        "mod",
        "regexp",
        "rlike",
        "read",
        "write",
        "replace",
        "condition",
        "trigger",
        "procedure",
        "function",
    ]
)
_LEGAL_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_$]*$")
_MARKER = re.compile("\x01(\\d+)\x02")


class GenericDialect:
    """What the compiler needs to know about a database: flags, quoting and paramstyle.

    ``engine.dialect.DefaultDialect`` extends this with connecting and running SQL; this base
    alone renders ``str(statement)`` with ``:name`` parameters.
    """

    name: ClassVar[str] = "default"
    #: The DBAPI paramstyle: "qmark" (?), "format" (%s), "numeric", "named" (:x), "pyformat".
    paramstyle: str = "named"
    #: Character that opens and closes a quoted identifier.
    identifier_quote: ClassVar[str] = '"'
    #: Longest identifier the database accepts.
    max_identifier_length: ClassVar[int] = 63
    #: Booleans are a real type (else stored as 0/1).
    supports_native_boolean: ClassVar[bool] = True
    #: The driver returns ``Decimal`` for NUMERIC columns.
    supports_native_decimal: ClassVar[bool] = True
    #: The driver converts dates and times itself.
    supports_native_datetime: ClassVar[bool] = True
    #: The database has a UUID type.
    supports_native_uuid: ClassVar[bool] = False
    #: The database has an INTERVAL type.
    supports_native_interval: ClassVar[bool] = False
    #: The database has an ENUM type (CREATE TYPE or inline ENUM).
    supports_native_enum: ClassVar[bool] = False
    #: The database has a JSON type the driver converts itself.
    supports_native_json: ClassVar[bool] = False
    #: INSERT ... RETURNING works.
    insert_returning: bool = True
    #: UPDATE ... RETURNING works.
    update_returning: bool = True
    #: DELETE ... RETURNING works.
    delete_returning: bool = True
    #: ``INSERT ... VALUES (...), (...)`` works.
    supports_multivalues_insert: ClassVar[bool] = True
    #: ``SELECT ... FOR UPDATE`` row locks exist.
    supports_for_update: ClassVar[bool] = True
    #: ``ILIKE`` exists (else ``lower(x) LIKE lower(y)``).
    supports_ilike: ClassVar[bool] = True
    #: ``NULLS FIRST`` / ``NULLS LAST`` exist.
    supports_nulls_ordering: ClassVar[bool] = True
    #: ``IS [NOT] DISTINCT FROM`` exists.
    supports_is_distinct_from: ClassVar[bool] = True
    #: ``DISTINCT ON (...)`` exists (PostgreSQL).
    supports_distinct_on: ClassVar[bool] = False
    #: ``aggregate FILTER (WHERE ...)`` exists.
    supports_aggregate_filter: ClassVar[bool] = True
    #: SQL for an INSERT that gives no column values.
    default_values_sql: ClassVar[str] = "DEFAULT VALUES"
    #: Named sequences exist (``CREATE SEQUENCE``, ``nextval``).
    supports_sequences: bool = False
    #: A Sequence(optional=True) is left out here: the database numbers keys another way.
    sequences_optional: bool = False
    #: Rendering of each type's DDL name where it differs from the type's default.
    type_ddl: ClassVar[dict[type, Callable[[Any], str]]] = {}
    json_serializer: Callable[[Any], str] | None = None
    json_deserializer: Callable[[Any], Any] | None = None
    #: Wraps a value for a driver that adapts JSON itself (``psycopg.types.json.Jsonb``).
    json_bind_wrapper: Callable[[Any, Callable[[Any], str]], Any] | None = None
    #: ``/`` of two integers gives an integer, truncated toward zero (else a fraction).
    integer_division_truncates: ClassVar[bool] = True
    #: String ``=`` compares code points exactly (no case, accent or trailing-space folding
    #: by a default collation).
    exact_string_equality: ClassVar[bool] = True
    #: String ``<`` / ``>`` order by code point, as Python does (a binary collation) rather
    #: than by a locale's collation.
    binary_string_ordering: ClassVar[bool] = False
    #: A one-row INSERT fetches its generated primary key with RETURNING (no lastrowid).
    insert_returning_pk: ClassVar[bool] = False
    #: A column can keep a UTC offset; else ``DateTime(timezone=True)`` stores UTC, naive,
    #: and hands back aware datetimes in UTC (the same instant, not the same offset).
    supports_timezone_datetime: ClassVar[bool] = True
    #: The driver returns TIME values as ``timedelta`` (PyMySQL), converted back to ``time``.
    time_as_timedelta: ClassVar[bool] = False
    #: Errors leave parameter values out (the engine's ``hide_parameters=True``).
    hide_parameters: bool = False

    statement_compiler: ClassVar[type[Compiler]]
    ddl_compiler: ClassVar[type[Any]]

    def __init__(self) -> None:
        self._quoted: dict[str, str] = {}

    @property
    def positional(self) -> bool:
        """True when parameters travel as a sequence, not a mapping."""
        return self.paramstyle in ("qmark", "format", "numeric")

    def quote(self, name: str) -> str:
        """``name`` quoted if it is reserved, mixed-case or has unusual characters."""
        quoted = self._quoted.get(name)
        if quoted is None:
            if "\x01" in name or "\x02" in name or "\x00" in name:
                raise exc.ArgumentError(f"identifier {name!r} contains a control character")
            q = self.identifier_quote
            if _LEGAL_IDENTIFIER.match(name) and name not in RESERVED_WORDS:
                quoted = name
            else:
                quoted = q + name.replace(q, q + q) + q
            self._quoted[name] = quoted
        return quoted

    def placeholder(self, name: str, position: int) -> str:
        """The driver's placeholder for a parameter."""
        style = self.paramstyle
        if style == "qmark":
            return "?"
        if style == "format":
            return "%s"
        if style == "numeric":
            return f":{position}"
        if style == "pyformat":
            return f"%({name})s"
        return f":{name}"

    def escape_literal_percent(self) -> bool:
        """True when a literal ``%`` in SQL text must be doubled (format/pyformat drivers)."""
        return self.paramstyle in ("format", "pyformat")


class BindSlot:
    """One parameter of a compiled statement: where its value comes from, how it is converted."""

    __slots__ = ("default", "index", "name", "processor", "row", "type")

    def __init__(
        self,
        name: str,
        index: int,
        type_: sqltypes.TypeEngine[Any],
        processor: Callable[[Any], Any] | None,
        default: ColumnDefault | None = None,
        row: int = -1,
    ) -> None:
        #: The key of the value in the execution parameters (any string: a column key).
        self.name = name
        #: Position of the value in the statement's collected bound parameters; -1 when the
        #: value must come from the execution parameters (or ``default``).
        self.index = index
        self.type = type_
        self.processor = processor
        self.default = default
        #: In an INSERT compiled with several VALUES groups: the group (parameter set) the
        #: value belongs to, -1 outside the groups. (With positional parameters the later
        #: groups repeat the first group's slots: those say 0.)
        self.row = row

    def copy(self, row: int) -> BindSlot:
        """The same parameter for the VALUES group ``row``."""
        return BindSlot(self.name, self.index, self.type, self.processor, self.default, row)


class Compiled:
    """A statement rendered for one dialect: SQL text, parameter slots, result columns."""

    def __init__(
        self,
        dialect: GenericDialect,
        sql: str,
        slots: list[BindSlot],
        result_columns: list[tuple[str, sqltypes.TypeEngine[Any], tuple[Any, ...]]],
        statement: el.ClauseElement,
        binds: list[el.BindParameter],
        driver_names: list[str] | None = None,
    ) -> None:
        self.dialect = dialect
        self.sql = sql
        self.slots = slots
        self.positional = dialect.positional
        self.result_columns = result_columns
        self.statement = statement
        self._binds = binds
        #: Per slot, the parameter name the driver sees (named paramstyles): a plain word,
        #: unique in the statement, whatever the slot's key is.
        self.driver_names = driver_names if driver_names is not None else [s.name for s in slots]
        self.is_insert = bool(getattr(statement, "is_insert", False))
        self.is_update = bool(getattr(statement, "is_update", False))
        self.is_delete = bool(getattr(statement, "is_delete", False))
        self.is_dml = self.is_insert or self.is_update or self.is_delete
        self.is_ddl = False
        #: How many VALUES groups, one per parameter set, an INSERT compiled with ``rows`` has,
        #: and how many parameters each group has.
        self.row_groups = self.row_width = 0
        #: For INSERT: (primary key column, name of its slot or None when generated).
        self.pk_sources: list[tuple[Any, str | None]] = []
        #: Generated primary key columns a one-row INSERT returns (``insert_returning_pk``).
        self.implicit_returning: list[Any] = []
        #: Whether any slot needs the caller's parameters (no value in the statement).
        self.needs_params = any(s.index < 0 and s.default is None for s in slots)
        self._result_processors: list[Any] | None = None
        self._slot_plan = [(s.name, s.index, s.processor, s.default) for s in slots]
        #: For an executemany whose sets carry every value and nothing needs converting: one
        #: C-level getter turns a set into the driver's tuple.
        self._many_getter: Callable[[Mapping[str, Any]], Any] | None = None
        self._many_scalar = False
        if self.positional and slots and all(s.processor is None for s in slots):
            self._many_getter = operator.itemgetter(*(s.name for s in slots))
            self._many_scalar = len(slots) == 1  # the getter gives the value, not a tuple
        # -- what running it needs, worked out once per compiled shape by the engine --
        #: How long compiling took, until echo has shown it once ("generated in ..."); None
        #: once it has, or when nobody timed it.
        self.compile_seconds: float | None = None
        #: When it was compiled (``time.perf_counter()``), for echo's "cached since ...".
        self.compiled_at = 0.0
        #: The Row class of its result columns, made at the first run.
        self.row_cls: Any = None
        #: (position, processor) of the result columns that need converting, or None.
        self.active_processors: list[tuple[int, Any]] | None = None
        #: This INSERT compiled with N VALUES groups, by N (multi-row ``INSERT ... RETURNING``).
        self.row_batches: dict[int, Compiled] = {}

    def __str__(self) -> str:
        return self.sql

    @property
    def string(self) -> str:
        """The SQL text."""
        return self.sql

    @property
    def params(self) -> dict[str, Any]:
        """The statement's own parameter values by name (before type conversion)."""
        out: dict[str, Any] = {}
        for slot in self.slots:
            if slot.index >= 0:
                out[slot.name] = self._binds[slot.index].effective_value()
            elif slot.default is not None and slot.default.is_scalar:
                out[slot.name] = slot.default.arg
        return out

    @property
    def positiontup(self) -> list[str]:
        """Parameter names in the order a positional driver receives them."""
        return [s.name for s in self.slots]

    def construct_params(
        self,
        binds: Sequence[el.BindParameter],
        params: Mapping[str, Any] | None = None,
        context: Any = None,
        group: int | None = None,
    ) -> Any:
        """Driver parameters (a list or a dict) from the statement's values and ``params``."""
        values = []
        for name, index, processor, default in self._slot_plan:
            if params is not None and name in params:
                value = params[name]
            elif index >= 0:
                bind = binds[index]
                value = bind.value if bind.callable is None else bind.callable()
                if value is None and bind.required and bind.callable is None:
                    raise exc.ArgumentError(
                        f"a value is required for bind parameter {name!r}; pass it in the "
                        f"execution parameters, e.g. {{{name!r}: ...}}"
                    )
            elif default is not None:
                value = default.value(context)
            else:
                where = f" (missing from parameter set {group})" if group else ""
                raise exc.ArgumentError(
                    f"a value is required for bind parameter {name!r}{where}; pass it in the "
                    f"execution parameters, e.g. {{{name!r}: ...}}; with a list of parameter "
                    "sets, every set needs the keys of the first"
                )
            if processor is not None and value is not None:
                try:
                    value = processor(value)
                except (TypeError, ValueError, ArithmeticError) as err:
                    error = _bind_error(self, name, value, params, err)
                    if error.hide_parameters:
                        raise error from None  # a chained err would show the value
                    raise error from err
            values.append(value)
        if self.positional:
            return values
        return dict(zip(self.driver_names, values, strict=True))

    def construct_many(
        self, binds: Sequence[el.BindParameter], sets: Sequence[Mapping[str, Any]]
    ) -> list[Any]:
        """Driver parameters for each of an executemany's parameter sets."""
        getter = self._many_getter
        if getter is not None:
            try:
                if self._many_scalar:
                    return [(value,) for value in map(getter, sets)]
                return list(map(getter, sets))
            except KeyError:
                pass  # a set lacks a value: the full path fills defaults or says which
        return [self.construct_params(binds, p, group=i) for i, p in enumerate(sets, 1)]

    def result_processors(self) -> list[Any]:
        """Per result column, the function turning a driver value into a Python value."""
        if self._result_processors is None:
            dialect = self.dialect
            self._result_processors = [
                t.result_processor(dialect) for _, t, _ in self.result_columns
            ]
        return self._result_processors


def _bind_error(
    compiled: Compiled, name: str, value: Any, params: Any, err: Exception
) -> exc.StatementError:
    """The error for a value the type of parameter ``name`` cannot convert."""
    message = (
        f"parameter {name!r} ({_type_name(compiled, name)}) cannot take a value of type "
        f"{type(value).__name__}"
    )
    hide = compiled.dialect.hide_parameters
    error = exc.StatementError(message if hide else f"{message}: {err}", compiled.sql, params, err)
    error.hide_parameters = hide
    return error


def _type_name(compiled: Compiled, name: str) -> str:
    for slot in compiled.slots:
        if slot.name == name:
            return repr(slot.type)
    return "unknown type"


def compile_statement(
    element: el.ClauseElement,
    dialect: GenericDialect,
    *,
    column_keys: Sequence[str] | None = None,
    literal_binds: bool = False,
    rows: int | None = None,
) -> Compiled:
    """Compile ``element`` for ``dialect``; DDL goes to the dialect's DDL compiler.

    ``rows`` compiles a one-row INSERT with that many VALUES groups, one per parameter set.
    """
    from ormkit.sql.ddl import DDLElement

    if isinstance(element, DDLElement):
        return dialect.ddl_compiler(dialect, element).compiled  # type: ignore[no-any-return]
    compiler_cls = getattr(dialect, "statement_compiler", Compiler)
    return compiler_cls(dialect, element, column_keys, literal_binds, rows).compiled


class Compiler(DMLRendering):
    """Renders SELECT and expression nodes; INSERT/UPDATE/DELETE come from ``DMLRendering``."""

    _dispatch: ClassVar[dict[type, Callable[..., str]]] = {}
    #: Operators rendered differently than ``left <sql> right``: operator name -> renderer.
    operator_renderers: ClassVar[dict[str, Callable[[Compiler, Any, str, str], str]]] = {}
    #: Functions with another name on this database: ``func.now`` -> ``CURRENT_TIMESTAMP``.
    function_names: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        cls._dispatch = cls._build_dispatch()

    @classmethod
    def _build_dispatch(cls) -> dict[type, Callable[..., str]]:
        method_for: dict[type, str] = {}
        for klass in reversed(cls.__mro__):
            for attr_name, attr in vars(klass).items():
                for node_type in getattr(attr, "_handles", ()):
                    method_for[node_type] = attr_name
        return {node_type: getattr(cls, name) for node_type, name in method_for.items()}

    def __init__(
        self,
        dialect: GenericDialect,
        statement: el.ClauseElement,
        column_keys: Sequence[str] | None = None,
        literal_binds: bool = False,
        rows: int | None = None,
    ) -> None:
        self.dialect = dialect
        self.statement = statement
        self.column_keys = column_keys
        self.literal_binds = literal_binds
        self.row_groups = rows
        self.groups_rendered = self.group_width = 0
        self._repeat: tuple[str, int] | None = None
        self._row = -1
        _key, binds = cache_key.generate(statement)
        self.binds = binds
        self._bind_index = {id(b): i for i, b in enumerate(binds)}
        self._slots: list[BindSlot] = []
        self._slot_by_bind: dict[int, int] = {}
        self._bind_names: dict[str, int] = {}
        self._generated: set[int] = set()  # slots named by the compiler, not by a key
        self._name_counters: dict[str, int] = {}
        self._anon_names: dict[int, str] = {}
        self._stack: list[list[sel.FromClause]] = []
        self._ctes: dict[int, tuple[sel.CTE, str]] = {}
        self._cte_order: list[int] = []
        self.result_columns: list[tuple[str, sqltypes.TypeEngine[Any], tuple[Any, ...]]] = []
        self.pk_slots: list[tuple[Any, int | None]] = []
        self.implicit_returning: list[Any] = []
        body = self.process(statement, toplevel=True)
        if self._ctes:
            body = self._render_with() + body
        sql, slots, names = self._finalize_binds(body)
        self.compiled = Compiled(dialect, sql, slots, self.result_columns, statement, binds, names)
        self.compiled.row_groups = self.groups_rendered
        self.compiled.row_width = self.group_width
        self.compiled.pk_sources = [
            (pk, self._slots[p].name if p is not None else None) for pk, p in self.pk_slots
        ]
        self.compiled.implicit_returning = self.implicit_returning

    # -- dispatch ---------------------------------------------------------------------------

    def process(self, node: Any, **kw: Any) -> str:
        """Render ``node``."""
        handler = self._dispatch.get(type(node))
        if handler is None:
            handler = self._find_handler(type(node))
        return handler(self, node, **kw)

    def _find_handler(self, node_type: type) -> Callable[..., str]:
        for base in node_type.__mro__[1:]:
            handler = self._dispatch.get(base)
            if handler is not None:
                type(self)._dispatch[node_type] = handler
                return handler
        raise exc.UnsupportedCompilationError(
            f"the {self.dialect.name} compiler cannot render a {node_type.__name__}"
        )

    # -- parameters -------------------------------------------------------------------------

    def _bind_slot(
        self,
        name: str,
        index: int,
        type_: sqltypes.TypeEngine[Any],
        default: ColumnDefault | None = None,
        generated: bool = False,
    ) -> str:
        """Register a parameter and return its marker in the text.

        A keyed parameter (a ``bindparam()`` key, a column key) shares the slot of an earlier
        one with the same key; a name the compiler made up (``generated``) is moved aside
        when a key asks for it, so a value never lands in another value's slot.
        """
        existing = self._bind_names.get(name)
        if existing is not None:
            if generated or existing not in self._generated:
                return f"\x01{existing}\x02"
            moved = self._slots[existing]
            moved.name = self._unique_name(name)
            self._bind_names[moved.name] = existing
        processor = type_.bind_processor(self.dialect)
        self._slots.append(BindSlot(name, index, type_, processor, default, self._row))
        position = len(self._slots) - 1
        self._bind_names[name] = position
        if generated:
            self._generated.add(position)
        return f"\x01{position}\x02"

    def _unique_name(self, base: str) -> str:
        base = re.sub(r"\W", "_", base) or "param"
        n = self._name_counters.get(base, 0) + 1
        self._name_counters[base] = n
        name = f"{base}_{n}"
        while name in self._bind_names:
            n += 1
            self._name_counters[base] = n
            name = f"{base}_{n}"
        return name

    def _finalize_binds(self, text: str) -> tuple[str, list[BindSlot], list[str]]:
        dialect = self.dialect
        if dialect.escape_literal_percent() and not self.literal_binds:
            # every literal % (text(), the modulo operator, literal columns) before the
            # driver's own %s placeholders go in; literal_binds text is for display or DDL
            text = text.replace("%", "%%")
        if dialect.positional:
            repeat = self._repeat
            if repeat is None:
                text, ordered = self._positional(text)
            else:  # a multi-row INSERT: groups 2.. are group 1 again (see _values_groups)
                group, rows = repeat
                if dialect.escape_literal_percent() and not self.literal_binds:
                    group = group.replace("%", "%%")
                head, _, tail = text.partition(REPEAT_MARKER)
                if dialect.paramstyle == "numeric":  # numbered placeholders: number them all
                    text, ordered = self._positional(head + f", {group}" * (rows - 1) + tail)
                else:
                    head, head_slots = self._positional(head)
                    group, group_slots = self._positional(group)
                    tail, tail_slots = self._positional(tail)
                    text = head + f", {group}" * (rows - 1) + tail
                    ordered = head_slots + group_slots * (rows - 1) + tail_slots
            return text, ordered, [s.name for s in ordered]
        names = driver_names(self._slots)
        return (
            _MARKER.sub(lambda m: dialect.placeholder(names[int(m.group(1))], 0), text),
            self._slots,
            names,
        )

    def _positional(self, text: str) -> tuple[str, list[BindSlot]]:
        """``text`` with the driver's positional placeholders, and their slots in order."""
        slots, dialect = self._slots, self.dialect
        ordered = [slots[int(p)] for p in _MARKER.findall(text)]
        if dialect.paramstyle == "numeric":
            count = iter(range(1, len(ordered) + 1))
            return _MARKER.sub(lambda m: dialect.placeholder("", next(count)), text), ordered
        # the same placeholder everywhere: one C-level replacement
        return _MARKER.sub(dialect.placeholder("", 0).replace("\\", "\\\\"), text), ordered

    @handles(el.BindParameter)
    def visit_bindparam(self, bind: el.BindParameter, **kw: Any) -> str:
        if self.literal_binds or kw.get("literal_binds"):
            return bind.type.literal_sql(bind.effective_value())
        if bind.expanding:
            raise exc.CompileError(
                f"bindparam({bind.key!r}, expanding=True) is not supported; pass the list to "
                "in_() directly"
            )
        known = self._slot_by_bind.get(id(bind))
        if known is not None:
            return f"\x01{known}\x02"
        name = self._unique_name(bind.key or "param") if bind.unique else (bind.key or "param")
        index = self._bind_index.get(id(bind), -1)
        marker = self._bind_slot(name, index, bind.type, generated=bind.unique)
        self._slot_by_bind[id(bind)] = self._bind_names[name]
        return marker

    # -- columns and simple expressions -----------------------------------------------------

    def _from_name(self, from_: sel.FromClause) -> str:
        if isinstance(from_, sel.Alias):
            return self.dialect.quote(self._alias_name(from_))
        name = self.dialect.quote(from_.name)  # type: ignore[attr-defined]
        schema = getattr(from_, "schema", None)
        return f"{self.dialect.quote(schema)}.{name}" if schema else name

    def _alias_name(self, alias: sel.Alias) -> str:
        if alias.name is not None:
            return alias.name
        found = self._anon_names.get(id(alias))
        if found is None:
            element = alias.element
            base = getattr(element, "name", None) if isinstance(element, sel.TableClause) else None
            found = self._anon_label(base or "anon")
            self._anon_names[id(alias)] = found
        return found

    def _anon_label(self, base: str) -> str:
        n = self._name_counters.get("\x00" + base, 0) + 1
        self._name_counters["\x00" + base] = n
        return f"{base}_{n}"

    @handles(el.ColumnClause)
    def visit_column(
        self, column: el.ColumnClause, *, include_table: bool = True, **kw: Any
    ) -> str:
        if column.is_literal:
            return column.name
        name = self.dialect.quote(column.name)
        table = column.table
        if table is None or not include_table or kw.get("compound_order"):
            return name
        return f"{self._from_name(table)}.{name}"

    @handles(el.BinaryExpression)
    def visit_binary(self, binary: el.BinaryExpression, **kw: Any) -> str:
        op = binary.operator
        kw.pop("within_columns_clause", None)
        left = self._operand(binary.left, op, kw, right=False)
        if op is ops.between or op is ops.not_between:
            low, high = binary.right.clauses  # type: ignore[attr-defined]
            return (
                f"{left} {op.sql} {self._operand(low, op, kw, True)} AND "
                f"{self._operand(high, op, kw, True)}"
            )
        if isinstance(binary.right, sel.ScalarSelect):
            right = self.process(binary.right, **kw)
        else:
            right = self._operand(binary.right, op, kw, right=True)
        renderer = self.operator_renderers.get(op.name)
        if renderer is not None:
            text = renderer(self, binary, left, right)
        else:
            text = f"{left} {op.sql} {right}"
        if binary.escape is not None:
            text += " ESCAPE " + sqltypes.String().literal_sql(binary.escape)
        return text

    def _operand(self, node: Any, parent: ops.Operator, kw: dict[str, Any], right: bool) -> str:
        text = self.process(node, **kw)
        child = node._precedence
        if child < parent.precedence or (
            child == parent.precedence
            and (right or parent.comparison)
            and not (parent.associative and getattr(node, "operator", None) is parent)
        ):
            return f"({text})"
        return text

    @handles(el.UnaryExpression)
    def visit_unary(self, unary: el.UnaryExpression, **kw: Any) -> str:
        kw.pop("within_columns_clause", None)
        inner = self.process(unary.element, **kw)
        operator = unary.operator
        if operator is not None:
            if operator is ops.neg and unary.element._precedence < ops.ATOM_PRECEDENCE:
                inner = f"({inner})"
            sep = "" if operator is ops.neg else " "
            inner = f"{operator.sql}{sep}{inner}"
        modifier = unary.modifier
        if modifier is not None:
            if modifier in (ops.nulls_first_op, ops.nulls_last_op):
                return self.render_nulls_ordering(unary, inner, modifier is ops.nulls_first_op)
            inner = f"{inner} {modifier.sql}"
        return inner

    def render_nulls_ordering(self, unary: el.UnaryExpression, inner: str, first: bool) -> str:
        """``x NULLS FIRST``; dialects without it override this."""
        return f"{inner} {'NULLS FIRST' if first else 'NULLS LAST'}"

    @handles(el.BooleanClauseList)
    def visit_boolean_list(self, node: el.BooleanClauseList, **kw: Any) -> str:
        kw.pop("within_columns_clause", None)
        op = node.operator
        return f" {op.sql} ".join(self._operand(c, op, kw, right=False) for c in node.clauses)

    @handles(el.ClauseList)
    def visit_clauselist(self, node: el.ClauseList, **kw: Any) -> str:
        kw.pop("within_columns_clause", None)
        return ", ".join(self.process(c, **kw) for c in node.clauses)

    @handles(el.Tuple)
    def visit_tuple(self, node: el.Tuple, **kw: Any) -> str:
        kw.pop("within_columns_clause", None)
        return "(" + ", ".join(self.process(c, **kw) for c in node.clauses) + ")"

    @handles(el.Grouping)
    def visit_grouping(self, node: el.Grouping, **kw: Any) -> str:
        kw.pop("within_columns_clause", None)
        return f"({self.process(node.element, **kw)})"

    @handles(el.Label)
    def visit_label(
        self, label: el.Label, *, within_columns_clause: bool = False, **kw: Any
    ) -> str:
        inner = self.process(label.element, **kw)
        if within_columns_clause:
            return f"{inner} AS {self.dialect.quote(label.name)}"
        return inner

    @handles(LabelReference)
    def visit_label_reference(self, ref: LabelReference, *, select: Any = None, **kw: Any) -> str:
        if select is not None:
            for name, _ in select._named_columns():
                if name == ref.name:
                    return self.dialect.quote(name)
            names = ", ".join(n for n, _ in select._named_columns())
            raise exc.CompileError(
                f"can't find a column named {ref.name!r} for ORDER BY / GROUP BY; "
                f"the select's columns are: {names}"
            )
        return self.dialect.quote(ref.name)

    @handles(el.Cast)
    def visit_cast(self, cast: el.Cast, **kw: Any) -> str:
        kw.pop("within_columns_clause", None)
        return f"CAST({self.process(cast.element, **kw)} AS {self.cast_type(cast.type)})"

    def cast_type(self, type_: sqltypes.TypeEngine[Any]) -> str:
        """The type name used in CAST."""
        return type_.ddl(self.dialect)

    @handles(el.TypeCoerce)
    def visit_type_coerce(self, node: el.TypeCoerce, **kw: Any) -> str:
        return self.process(node.element, **kw)

    @handles(el.Case)
    def visit_case(self, case: el.Case, **kw: Any) -> str:
        kw.pop("within_columns_clause", None)
        parts = ["CASE"]
        if case.value is not None:
            parts.append(self.process(case.value, **kw))
        for condition, result in case.whens:
            parts.append(f"WHEN {self.process(condition, **kw)} THEN {self.process(result, **kw)}")
        if case.else_ is not None:
            parts.append(f"ELSE {self.process(case.else_, **kw)}")
        parts.append("END")
        return " ".join(parts)

    @handles(el.Null)
    def visit_null(self, node: el.Null, **kw: Any) -> str:
        return "NULL"

    @handles(el.True_)
    def visit_true(self, node: el.True_, **kw: Any) -> str:
        return "true" if self.dialect.supports_native_boolean else "1"

    @handles(el.False_)
    def visit_false(self, node: el.False_, **kw: Any) -> str:
        return "false" if self.dialect.supports_native_boolean else "0"

    @handles(el.EmptyIn)
    def visit_empty_in(self, node: el.EmptyIn, **kw: Any) -> str:
        return "(1 = 1)" if node.negated else "(1 != 1)"

    @handles(el.TextClause)
    def visit_text(self, node: el.TextClause, **kw: Any) -> str:
        def bind(match: re.Match[str]) -> str:
            return self.process(node._bindparams[match.group(1)], **kw)

        text = el._TEXT_BIND.sub(bind, node.text)
        text = text.replace("\\:", ":")
        if kw.get("toplevel") and node._column_types:
            self.result_columns = [(k, t, (k,)) for k, t in node._column_types]
        return text

    @handles(el.FunctionElement)
    def visit_function(self, fn: el.FunctionElement, **kw: Any) -> str:
        kw.pop("within_columns_clause", None)
        name = self.function_names.get(fn.name, fn.name)
        if fn.packagenames:
            name = (
                ".".join((*fn.packagenames[:-1], name))
                if fn.packagenames[-1] == fn.name
                else ".".join((*fn.packagenames, name))
            )
        if isinstance(fn, el._NoArgFunction) or (
            name.isupper() and not fn.clauses and name != fn.name
        ):
            return name
        return f"{name}({self.process(fn.clause_list, **kw)})"

    @handles(el.Over)
    def visit_over(self, over: el.Over, **kw: Any) -> str:
        kw.pop("within_columns_clause", None)
        parts = []
        if over.partition_by:
            parts.append(
                "PARTITION BY " + ", ".join(self.process(p, **kw) for p in over.partition_by)
            )
        if over.order_by:
            parts.append("ORDER BY " + ", ".join(self.process(o, **kw) for o in over.order_by))
        return f"{self.process(over.element, **kw)} OVER ({' '.join(parts)})"

    @handles(el.FunctionFilter)
    def visit_function_filter(self, node: el.FunctionFilter, **kw: Any) -> str:
        kw.pop("within_columns_clause", None)
        fn = self.process(node.func, **kw)
        condition = self.process(node.criterion, **kw)
        if self.dialect.supports_aggregate_filter:
            return f"{fn} FILTER (WHERE {condition})"
        raise exc.CompileError(f"{self.dialect.name} has no aggregate FILTER clause")

    # -- FROM entries -----------------------------------------------------------------------

    @handles(sel.TableClause)
    def visit_table(self, table: sel.TableClause, **kw: Any) -> str:
        return self._from_name(table)

    @handles(sel.Join)
    def visit_join(self, join: sel.Join, **kw: Any) -> str:
        left = self.process(join.left, asfrom=True, **_without(kw, "asfrom"))
        right = self.process(join.right, asfrom=True, **_without(kw, "asfrom"))
        if isinstance(join.right, sel.Join):
            right = f"({right})"
        kind = "FULL OUTER JOIN" if join.full else "LEFT OUTER JOIN" if join.isouter else "JOIN"
        on = self.process(join.onclause, **_without(kw, "asfrom"))
        return f"{left} {kind} {right} ON {on}"

    @handles(sel.Alias)
    def visit_alias(self, alias: sel.Alias, *, asfrom: bool = False, **kw: Any) -> str:
        name = self.dialect.quote(self._alias_name(alias))
        if not asfrom:
            return name
        return f"{self.process(alias.element, asfrom=True, **kw)} AS {name}"

    @handles(sel.Subquery)
    def visit_subquery(self, sub: sel.Subquery, *, asfrom: bool = False, **kw: Any) -> str:
        name = self.dialect.quote(self._alias_name(sub))
        if not asfrom:
            return name
        inner = self.process(sub.element, nested=True, correlate=False)
        return f"({inner}) AS {name}"

    @handles(sel.CTE)
    def visit_cte(self, cte: sel.CTE, *, asfrom: bool = False, **kw: Any) -> str:
        name = self._alias_name(cte)
        if id(cte) not in self._ctes:
            self._ctes[id(cte)] = (cte, "")  # reserve the place before rendering (recursion)
            inner = self.process(cte.element, nested=True, correlate=False)
            self._ctes[id(cte)] = (cte, inner)
            self._cte_order.append(id(cte))
        return self.dialect.quote(name)

    def _render_with(self) -> str:
        recursive = any(cte.recursive for cte, _ in self._ctes.values())
        parts = []
        for key in self._cte_order:
            cte, inner = self._ctes[key]
            name = self.dialect.quote(self._alias_name(cte))
            if cte.recursive:
                cols = ", ".join(self.dialect.quote(c.name) for c in cte.columns)
                name = f"{name}({cols})"
            parts.append(f"{name} AS ({inner})")
        return ("WITH RECURSIVE " if recursive else "WITH ") + ", ".join(parts) + " "

    # -- SELECT -----------------------------------------------------------------------------

    @handles(sel.ScalarSelect)
    def visit_scalar_select(self, node: sel.ScalarSelect, **kw: Any) -> str:
        return f"({self.process(node.element, nested=True, correlate=True)})"

    @handles(sel.Select)
    def visit_select(
        self,
        select: sel.Select,
        *,
        toplevel: bool = False,
        nested: bool = False,
        correlate: bool = False,
        **kw: Any,
    ) -> str:
        enclosing = [f for level in self._stack for f in level] if correlate else []
        froms = select.froms(enclosing)
        self._stack.append(froms)
        try:
            named = select._named_columns()
            if not named:
                raise exc.CompileError("a SELECT needs at least one column")
            columns = ", ".join(self._select_column(name, col) for name, col in named)
            distinct = ""
            if select._distinct:
                distinct = self.render_distinct(select)
            text = f"SELECT {distinct}{columns}"
            if froms:
                text += " \nFROM " + ", ".join(self.process(f, asfrom=True) for f in froms)
            if select._where_criteria:
                text += " \nWHERE " + self.process(el.and_(*select._where_criteria))
            if select._group_by:
                text += " GROUP BY " + ", ".join(
                    self.process(g, select=select) for g in select._group_by
                )
            if select._having:
                text += " \nHAVING " + self.process(el.and_(*select._having))
            text += self._order_limit(select)
            if select._for_update is not None and self.dialect.supports_for_update:
                text += self.render_for_update(select._for_update)
        finally:
            self._stack.pop()
        if toplevel:
            self.result_columns = [
                (name, col.type, (col, name) + ((col.key,) if col.key and col.key != name else ()))
                for name, col in named
            ]
        return text

    def _select_column(self, name: str, col: el.ColumnElement) -> str:
        text = self.process(col, within_columns_clause=True)
        if isinstance(col, el.Label):
            return text
        if isinstance(col, el.ColumnClause) and (col.is_literal or col.name == name):
            return text
        if isinstance(col, el.TextClause):
            return text
        return f"{text} AS {self.dialect.quote(name)}"

    def render_distinct(self, select: sel.Select) -> str:
        """``DISTINCT `` (``DISTINCT ON (...) `` where the dialect has it)."""
        if select._distinct_on:
            if not self.dialect.supports_distinct_on:
                raise exc.CompileError(
                    f"{self.dialect.name} has no DISTINCT ON; use distinct() without arguments"
                )
            return "DISTINCT ON (" + ", ".join(self.process(c) for c in select._distinct_on) + ") "
        return "DISTINCT "

    def _order_limit(self, select: sel.SelectBase, compound: bool = False) -> str:
        text = ""
        if select._order_by:
            text += " ORDER BY " + ", ".join(
                self.process(o, select=select, compound_order=compound) for o in select._order_by
            )
        if select._limit is not None or select._offset is not None:
            text += self.limit_clause(select)
        return text

    def limit_clause(self, select: sel.SelectBase) -> str:
        """`` LIMIT n OFFSET m`` as this database spells it."""
        text = ""
        if select._limit is not None:
            text += " \nLIMIT " + self.process(select._limit)
        if select._offset is not None:
            text += " OFFSET " + self.process(select._offset)
        return text

    def render_for_update(self, options: sel.ForUpdate) -> str:
        """`` FOR UPDATE [OF ...] [NOWAIT | SKIP LOCKED]``."""
        text = " FOR SHARE" if options.read else " FOR UPDATE"
        if options.of:
            text += " OF " + ", ".join(
                self._from_name(o) if isinstance(o, sel.FromClause) else self.process(o)
                for o in options.of
            )
        if options.nowait:
            text += " NOWAIT"
        if options.skip_locked:
            text += " SKIP LOCKED"
        return text

    @handles(sel.CompoundSelect)
    def visit_compound(
        self, compound: sel.CompoundSelect, *, toplevel: bool = False, **kw: Any
    ) -> str:
        parts = []
        for member in compound.selects:
            inner = self.process(member, nested=True, correlate=kw.get("correlate", False))
            if (
                member._order_by
                or member._limit is not None
                or member._offset is not None
                or isinstance(member, sel.CompoundSelect)
            ):
                inner = f"SELECT * FROM ({inner})"
            parts.append(inner)
        text = f" {compound.keyword} ".join(parts) + self._order_limit(compound, compound=True)
        if toplevel:
            self.result_columns = [
                (name, col.type, (name,)) for name, col in compound._named_columns()
            ]
        return text


def _without(kw: dict[str, Any], *names: str) -> dict[str, Any]:
    return {k: v for k, v in kw.items() if k not in names}


Compiler._dispatch = Compiler._build_dispatch()
GenericDialect.statement_compiler = Compiler
