"""``relationship()``: how two mapped classes are linked, worked out from foreign keys.

A Relationship is configured lazily (its target class may be defined after it): the first
session operation or attribute access resolves the target, decides the direction
(many-to-one, one-to-many, many-to-many) from the foreign keys or the given ``primaryjoin``,
and records the column pairs a flush copies keys through.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any

from ormkit import exc
from ormkit.event.registry import Dispatch
from ormkit.orm.events import NO_ATTRIBUTE_LISTENERS
from ormkit.orm.mapped_column import DATACLASS_ARGS
from ormkit.sql import elements as el
from ormkit.sql import operators as ops
from ormkit.sql.plugins import resolve
from ormkit.sql.schema import Column, Table

if TYPE_CHECKING:
    from ormkit.orm.mapper import Mapper


class Direction(enum.Enum):
    """Which side holds the foreign key."""

    MANYTOONE = "many-to-one"
    ONETOMANY = "one-to-many"
    MANYTOMANY = "many-to-many"


_CASCADE_ALL = frozenset({"save-update", "merge", "refresh-expire", "expunge", "delete"})
_CASCADE_KNOWN = _CASCADE_ALL | {"delete-orphan", "all"}


def parse_cascade(text: str | None) -> frozenset[str]:
    """The cascade rules named in ``"all, delete-orphan"`` style text."""
    if text is None:
        return frozenset({"save-update", "merge"})
    rules: set[str] = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        if part not in _CASCADE_KNOWN:
            raise exc.ArgumentError(
                f"unknown cascade rule {part!r}; use any of {', '.join(sorted(_CASCADE_KNOWN))}"
            )
        rules |= _CASCADE_ALL if part == "all" else {part}
    return frozenset(rules)


#: Arguments SQLAlchemy documents that ormkit does not implement yet, with their defaults:
#: passing the default is fine, anything else is an ArgumentError naming the argument.
_UNSUPPORTED: dict[str, Any] = {
    "active_history": False,
    "enable_typechecks": True,
    "distinct_target_key": None,
    "omit_join": None,
    "join_depth": None,
    "comparator_factory": None,
    "load_on_pending": False,
    "query_class": None,
    "innerjoin": False,
    "single_parent": False,
}


def _known_collection(collection_class: Any) -> bool:
    """True for the collection types ormkit has: list and set (and their instrumented kinds)."""
    from ormkit.orm.collections import InstrumentedList, InstrumentedSet  # imports us back

    return collection_class in (None, list, set, InstrumentedList, InstrumentedSet)


def _refuse_unsupported(kw: dict[str, Any], **given: Any) -> None:
    """ArgumentError for an argument ormkit cannot honour yet; unknown ones are one too."""
    for name, default in _UNSUPPORTED.items():
        value = given[name] if name in given else kw.pop(name, default)
        if value != default:
            raise exc.ArgumentError(
                f"relationship() does not support argument {name!r} yet (got {value!r})"
            )
    if kw:
        raise exc.ArgumentError(f"relationship() got unknown argument(s): {', '.join(sorted(kw))}")


_LAZY = (
    "select",
    "selectin",
    "joined",
    "raise",
    "raise_on_sql",
    "noload",
    "write_only",
    "dynamic",
    "immediate",
    True,
    False,
    None,
)


class Relationship:
    """A link from one mapped class to another: ``posts = relationship("Post", ...)``."""

    #: Attribute events' listeners of this relationship (its own, once one is given).
    dispatch: Dispatch = NO_ATTRIBUTE_LISTENERS

    def __init__(
        self,
        argument: Any = None,
        secondary: Any = None,
        *,
        back_populates: str | None = None,
        backref: str | tuple[str, dict[str, Any]] | None = None,
        uselist: bool | None = None,
        lazy: Any = "select",
        cascade: str | None = None,
        order_by: Any = None,
        foreign_keys: Any = None,
        primaryjoin: Any = None,
        secondaryjoin: Any = None,
        remote_side: Any = None,
        passive_deletes: bool | str = False,
        post_update: bool = False,
        collection_class: Any = None,
        viewonly: bool = False,
        innerjoin: bool = False,
        single_parent: bool = False,
        **kw: Any,
    ) -> None:
        #: the attribute's dataclass field (MappedAsDataclass): init=, default= and the like
        self.dataclass_args = {k: kw.pop(k) for k in (*DATACLASS_ARGS, "default") if k in kw}
        self.info: dict[str, Any] = dict(kw.pop("info", None) or {})
        self.doc: str | None = kw.pop("doc", None)
        self.sync_backref: bool | None = kw.pop("sync_backref", None)
        if self.sync_backref and viewonly:
            raise exc.ArgumentError(
                "relationship(sync_backref=True, viewonly=True): a view-only relationship "
                "cannot keep its other side in step; leave sync_backref out"
            )
        # overlaps= only silences a warning about overlapping relationships, which ormkit
        # does not give; bake_queries= has no effect in SQLAlchemy 2.x either
        self.overlaps: str | None = kw.pop("overlaps", None)
        kw.pop("bake_queries", None)
        _refuse_unsupported(kw, innerjoin=innerjoin, single_parent=single_parent)
        if not _known_collection(collection_class):
            raise exc.ArgumentError(
                f"relationship(collection_class={collection_class!r}) is not supported yet; "
                "use list (the default) or set"
            )
        if passive_deletes not in (True, False, "all"):
            raise exc.ArgumentError(
                f"relationship(passive_deletes={passive_deletes!r}): use True, False or 'all'"
            )
        if lazy not in _LAZY:
            raise exc.ArgumentError(
                f"relationship(lazy={lazy!r}) is not a loading strategy; use one of "
                "'select', 'selectin', 'joined', 'raise', 'noload', 'write_only', 'dynamic'"
            )
        self.argument = argument
        self.secondary_arg = secondary
        self.back_populates = back_populates
        self.backref = backref
        self.uselist_arg = uselist
        self.lazy = (
            "select" if lazy in (True, None, "immediate") else "noload" if lazy is False else lazy
        )
        self.cascade = parse_cascade(cascade)
        self.order_by_arg = order_by
        self.foreign_keys_arg = foreign_keys
        self.primaryjoin_arg = primaryjoin
        self.secondaryjoin_arg = secondaryjoin
        self.remote_side_arg = remote_side
        self.passive_deletes = passive_deletes
        self.post_update = post_update
        self.collection_class = collection_class
        self.viewonly = viewonly
        self.innerjoin = innerjoin
        self.single_parent = single_parent
        # set when the declaring class is mapped / when configured
        self.key: str = ""
        self.parent: Mapper = None  # type: ignore[assignment]
        self.mapper: Mapper = None  # type: ignore[assignment]
        self.configured = False
        self.annotation_target: Any = None
        self.annotation_uselist: bool | None = None
        #: The relationship on the other class that mirrors this one (back_populates/backref).
        self.reverse: Relationship | None = None
        self._reverse_linked = False

    # -- configuration ----------------------------------------------------------------------

    def _resolve_class(self, arg: Any) -> Any:
        if callable(arg) and not isinstance(arg, type) and not hasattr(arg, "__clause_element__"):
            arg = arg()
        if isinstance(arg, str):
            registry = self.parent.class_.registry  # type: ignore[attr-defined]
            found = registry.class_by_name(arg)
            if found is None:
                raise exc.InvalidRequestError(
                    f"relationship {self.parent.class_.__name__}.{self.key} refers to class "
                    f"{arg!r}, which is not mapped by this declarative base (known: "
                    f"{', '.join(sorted(registry.class_names())) or 'none'})"
                )
            return found
        return arg

    def _resolve_expr(self, arg: Any) -> Any:
        if arg is None:
            return None
        if isinstance(arg, str):
            registry = self.parent.class_.registry  # type: ignore[attr-defined]
            namespace = {name: cls for name, cls in registry.class_items()}
            namespace.update({"and_": el.and_, "or_": el.or_})
            namespace.update({t.name: t for t in registry.metadata.tables.values()})
            try:
                arg = eval(arg, namespace)  # the programmer's own expression text
            except Exception as err:
                raise exc.ArgumentError(
                    f"relationship {self.parent.class_.__name__}.{self.key}: could not "
                    f"evaluate {arg!r}: {err}"
                ) from None
        elif (
            callable(arg)
            and not hasattr(arg, "__clause_element__")
            and not isinstance(arg, el.ClauseElement | Table | list | tuple)
        ):
            arg = arg()
        return arg

    def configure(self) -> None:
        """Resolve the target and work out the join condition and direction."""
        if self.configured:
            return
        from ormkit.orm.mapper import class_mapper

        target = self._resolve_class(self.argument or self.annotation_target)
        if target is None:
            raise exc.ArgumentError(
                f"relationship {self.parent.class_.__name__}.{self.key} needs a target class"
            )
        self.mapper = class_mapper(target)
        secondary = self._resolve_expr(self.secondary_arg)
        if isinstance(secondary, str):
            secondary = self.parent.local_table.metadata.tables[secondary]
        self.secondary: Table | None = secondary
        self._foreign = {
            id(resolve(c)) for c in _as_list(self._resolve_expr(self.foreign_keys_arg))
        }
        self._remote = {id(resolve(c)) for c in _as_list(self._resolve_expr(self.remote_side_arg))}
        if self.secondary is not None:
            self._configure_secondary()
        else:
            self._configure_direct()
        if self.uselist_arg is not None:
            self.uselist = self.uselist_arg
        elif self.annotation_uselist is not None:
            self.uselist = self.annotation_uselist
        else:
            self.uselist = self.direction is not Direction.MANYTOONE
        order_by = self._resolve_expr(self.order_by_arg)
        self.order_by = (
            [resolve(o) for o in _as_list(order_by)]
            if order_by is not None and order_by is not False
            else []
        )
        self.configured = True

    def _configure_direct(self) -> None:
        parent_table = self.parent.local_table
        target_table = self.mapper.local_table
        if self.primaryjoin_arg is not None:
            join = resolve(self._resolve_expr(self.primaryjoin_arg))
            pairs = _equated_columns(join)
            self._from_pairs(pairs, parent_table, target_table)
            self.primaryjoin = join
            return
        candidates = []  # (fk column, referenced column)
        for fk in target_table.foreign_keys:
            if fk.column.table is parent_table:
                candidates.append((fk.parent, fk.column, "target"))
        if target_table is not parent_table:
            for fk in parent_table.foreign_keys:
                if fk.column.table is target_table:
                    candidates.append((fk.parent, fk.column, "parent"))
        if self._foreign:
            candidates = [c for c in candidates if id(c[0]) in self._foreign]
        if not candidates:
            raise exc.ArgumentError(
                f"relationship {self._name()}: no foreign key links {parent_table.name!r} and "
                f"{target_table.name!r}; add a ForeignKey, or give primaryjoin= and "
                "foreign_keys="
            )
        constraints = {
            id(getattr(next(iter(c[0].foreign_keys)), "constraint", None)) for c in candidates
        }
        if len(constraints) > 1:
            names = ", ".join(f"{c[0].table.name}.{c[0].name}" for c in candidates)
            raise exc.ArgumentError(
                f"relationship {self._name()}: more than one foreign key path links "
                f"{parent_table.name!r} and {target_table.name!r} (candidate foreign keys: "
                f"{names}); name the one to use with foreign_keys=[...]"
            )
        self_referential = parent_table is target_table
        if self_referential:
            fk_cols = [c[0] for c in candidates]
            if self._remote and all(id(c[1]) in self._remote for c in candidates):
                self.direction = Direction.MANYTOONE  # remote side is the key: points at parent
            else:
                self.direction = Direction.ONETOMANY
            del fk_cols
        else:
            self.direction = (
                Direction.ONETOMANY if candidates[0][2] == "target" else Direction.MANYTOONE
            )
        # sync pairs: (referenced key column, foreign key column)
        self.pairs = [(c[1], c[0]) for c in candidates]
        self.primaryjoin = el.and_(*[ref == fk for ref, fk in self.pairs])

    def _from_pairs(
        self, pairs: list[tuple[Column, Column]], parent_table: Table, target_table: Table
    ) -> None:
        result = []
        for a, b in pairs:
            a_fk = id(a) in self._foreign or (not self._foreign and bool(a.foreign_keys))
            b_fk = id(b) in self._foreign or (not self._foreign and bool(b.foreign_keys))
            if a_fk and not b_fk:
                result.append((b, a))
            elif b_fk and not a_fk:
                result.append((a, b))
            else:
                raise exc.ArgumentError(
                    f"relationship {self._name()}: cannot tell which of {a.table.name}.{a.name}"
                    f" and {b.table.name}.{b.name} is the foreign key; name it with "
                    "foreign_keys=[...]"
                )
        self.pairs = result
        fk_tables = {fk.table for _, fk in result}
        if parent_table is target_table:
            remote_is_ref = self._remote and all(id(ref) in self._remote for ref, _ in result)
            self.direction = Direction.MANYTOONE if remote_is_ref else Direction.ONETOMANY
        else:
            self.direction = (
                Direction.ONETOMANY if target_table in fk_tables else Direction.MANYTOONE
            )

    def _configure_secondary(self) -> None:
        secondary = self.secondary
        assert secondary is not None
        parent_table = self.parent.local_table
        target_table = self.mapper.local_table
        self.direction = Direction.MANYTOMANY
        if self.primaryjoin_arg is not None:
            parent_pairs = _equated_columns(resolve(self._resolve_expr(self.primaryjoin_arg)))
            target_pairs = _equated_columns(resolve(self._resolve_expr(self.secondaryjoin_arg)))
            self.parent_pairs = [_order_pair(p, secondary) for p in parent_pairs]
            self.target_pairs = [_order_pair(p, secondary) for p in target_pairs]
        else:
            if parent_table is target_table:
                raise exc.ArgumentError(
                    f"relationship {self._name()}: a self-referential many-to-many needs "
                    "primaryjoin= and secondaryjoin= to tell its two foreign keys apart"
                )
            self.parent_pairs = [
                (fk.column, fk.parent)
                for fk in secondary.foreign_keys
                if fk.column.table is parent_table
            ]
            self.target_pairs = [
                (fk.column, fk.parent)
                for fk in secondary.foreign_keys
                if fk.column.table is target_table
            ]
            if not self.parent_pairs or not self.target_pairs:
                raise exc.ArgumentError(
                    f"relationship {self._name()}: secondary table {secondary.name!r} needs "
                    f"foreign keys to both {parent_table.name!r} and {target_table.name!r}"
                )
        self.pairs = []
        self.primaryjoin = el.and_(*[ref == fk for ref, fk in self.parent_pairs])
        self.secondaryjoin = el.and_(*[ref == fk for ref, fk in self.target_pairs])

    def _name(self) -> str:
        return f"{self.parent.class_.__name__}.{self.key}"

    # -- derived facts ----------------------------------------------------------------------

    @property
    def local_columns(self) -> list[Column]:
        """Columns of the parent the relationship reads to find related rows."""
        if self.direction is Direction.MANYTOMANY:
            return [ref for ref, _ in self.parent_pairs]
        if self.direction is Direction.ONETOMANY:
            return [ref for ref, _ in self.pairs]
        return [fk for _, fk in self.pairs]

    @property
    def remote_columns(self) -> list[Column]:
        """Columns on the related side matched against ``local_columns``."""
        if self.direction is Direction.MANYTOMANY:
            return [fk for _, fk in self.parent_pairs]
        if self.direction is Direction.ONETOMANY:
            return [fk for _, fk in self.pairs]
        return [ref for ref, _ in self.pairs]

    def target_is_pk_lookup(self) -> bool:
        """True when a many-to-one finds its target by the target's whole primary key."""
        if self.direction is not Direction.MANYTOONE:
            return False
        remote = self.remote_columns
        pk = list(self.mapper.primary_key)
        return len(remote) == len(pk) and all(any(r is p for r in remote) for p in pk)

    def __repr__(self) -> str:
        return f"<Relationship {self.parent.class_.__name__ if self.parent else '?'}.{self.key}>"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list | tuple | set):
        return list(value)
    return [value]


def _equated_columns(expr: Any) -> list[tuple[Column, Column]]:
    """The ``a == b`` column pairs of an AND of equalities."""
    if isinstance(expr, el.BooleanClauseList) and expr.operator is ops.and_:
        pairs = []
        for clause in expr.clauses:
            pairs.extend(_equated_columns(clause))
        return pairs
    if (
        isinstance(expr, el.BinaryExpression)
        and expr.operator is ops.eq
        and isinstance(expr.left, Column)
        and isinstance(expr.right, Column)
    ):
        return [(expr.left, expr.right)]
    raise exc.ArgumentError(
        f"a primaryjoin must be column equalities joined with and_(), got {expr}"
    )


def _order_pair(pair: tuple[Column, Column], secondary: Table) -> tuple[Column, Column]:
    a, b = pair
    return (a, b) if b.table is secondary else (b, a)


def relationship(argument: Any = None, secondary: Any = None, **kw: Any) -> Any:
    """Link two mapped classes; see :class:`Relationship` for the options."""
    return Relationship(argument, secondary, **kw)


def backref(name: str, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    """``relationship(..., backref=backref("parent", lazy="joined"))``: the other side's options."""
    Relationship(None, **kwargs)  # the options are checked now, not when the pair is made
    return (name, kwargs)
