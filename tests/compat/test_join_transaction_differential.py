"""Sessions joined to a caller's Connection, differentially: ormkit vs SQLAlchemy 2.x.

The companion of ``test_session_differential.py`` (same models, same error-kind matching)
for ``Session(bind=connection, join_transaction_mode=...)``. Each "test" of the machine is the
per-test fixture pattern SQLAlchemy documents: an outer Connection, maybe a transaction begun
on it (maybe a savepoint inside that, maybe a row inserted through it first), a Session bound
to it in one of the four modes; then random steps (adds, some failing at flush because
``users.name`` is NOT NULL; flush, commit, rollback, close, ``with session.begin_nested()``
blocks, reads through the session and through the Connection, inserts through the
Connection, the caller ending its savepoint), and at last the caller's transaction committed
or rolled back, the session closed before or after, the Connection closed; then the next
"test" begins on the same databases.

After every step both sides must agree on the committed rows (read through a raw ``sqlite3``
connection), ``in_transaction()`` / ``in_nested_transaction()`` of the Connection and of the
Session, whether the caller's transaction and savepoint handles are still active, and the
outcome (values, or the kind of exception) of every step.

Differences on purpose, deliberately not asserted (beside those of
``test_session_differential.py``: the oracle's SQLite engine sends BEGIN itself so that
SAVEPOINTs work, and turns foreign keys on):

* ``session.begin_nested()`` sends its SAVEPOINT at once in ormkit (so a Session that has
  not used the caller's Connection yet begins using it then: BEGIN in ``control_fully``
  mode, its own SAVEPOINT in ``create_savepoint`` mode), as ``Connection.begin_nested()``
  does in both libraries. SQLAlchemy's Session defers the SAVEPOINT until it first needs
  its connection inside the savepoint. The difference shows only when the caller uses the
  Connection itself in between (its INSERT is inside the Session's savepoint in ormkit, not
  in SQLAlchemy), so the machine has the SQLAlchemy Session use its connection right after
  ``begin_nested()`` (``_in_savepoint(connect=True)``).
* The caller ending its savepoint while the Session's own savepoint is open inside it
  (``create_savepoint``, or the default mode inside the caller's savepoint): the database
  drops both, ormkit's Connection reports no savepoint open; SQLAlchemy's goes on reporting
  the Session's (``in_nested_transaction()`` True) and fails later with "no such savepoint".
  The machine ends the caller's savepoint only when it is the innermost one.
* The caller ending its savepoint after a ``control_fully`` or ``rollback_only`` Session
  took it over: the Session works in it then, and the caller ending it under the Session is
  not done. (With ``control_fully``, both Sessions'
  ``commit()`` raise InvalidRequestError then; after that SQLAlchemy's Session is left
  "prepared" and refuses SQL with InvalidRequestError until rolled back, ormkit's refuses
  it with PendingRollbackError, which says why and what to do; the outcomes of later steps
  differ in what each keeps, so the machine does not go there.)
"""

import shutil
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, precondition, rule

import ormkit
import ormkit.orm as ok_orm
from tests.compat.differential import (
    CollectingMachine,
    call,
    machine_settings,
    sa_sqlite_engine,
    same_outcome,
)
from tests.compat.test_session_differential import (
    NAME_VALUES,
    SAVEPOINT_ENDS,
    SAVEPOINT_NAMES,
    OkBase,
    OkUser,
    SaBase,
    SaUser,
    _committed_rows,
    _in_savepoint,
)

MODES = st.sampled_from(
    ["conditional_savepoint", "create_savepoint", "rollback_only", "control_fully"]
)
#: What the caller opened on its Connection before making the Session.
OUTERS = st.sampled_from(["nothing", "begin", "begin_nested"])
#: How a "test" ends: the caller's transaction committed or rolled back, the Session closed
#: before or after that.
ENDINGS = st.sampled_from(["close, rollback", "close, commit", "rollback, close", "commit, close"])


class JoinTransactionDifferential(CollectingMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="ormkit-join-differential-"))
        self.ok_path = self.tmp / "ormkit.db"
        self.sa_path = self.tmp / "sqlalchemy.db"
        self.ok_engine = ormkit.create_engine(f"sqlite:///{self.ok_path}")
        OkBase.metadata.create_all(self.ok_engine)
        self.sa_engine = sa_sqlite_engine(self.sa_path)
        SaBase.metadata.create_all(self.sa_engine)
        self.ok_users = OkUser.__table__
        self.sa_users = SaUser.__table__
        self.ok_conn: Any = None
        self.sa_conn: Any = None
        self.ok: Any = None
        self.sa: Any = None
        #: the caller's transaction handles, outermost first: (ormkit, SQLAlchemy)
        self.outer: list[tuple[Any, Any]] = []
        self.what = ""

    def teardown(self) -> None:
        try:
            for session in (self.ok, self.sa):
                if session is not None:
                    session.close()
            for conn in (self.ok_conn, self.sa_conn):
                if conn is not None:
                    conn.close()
        finally:
            self.ok_engine.dispose()
            self.sa_engine.dispose()
            shutil.rmtree(self.tmp, ignore_errors=True)
            super().teardown()

    # -- a "test": the caller's Connection, maybe a transaction, the Session --------------------

    def _begin_test(self, mode: str, outer: str, outer_row: bool) -> None:
        self.what = f"join_transaction_mode={mode!r} after {outer}"
        self.ok_conn, self.sa_conn = self.ok_engine.connect(), self.sa_engine.connect()
        self.outer = []
        if outer != "nothing":
            self.outer.append((self.ok_conn.begin(), self.sa_conn.begin()))
        if outer_row:
            self._conn_insert("outer")
        if outer == "begin_nested":
            self.outer.append((self.ok_conn.begin_nested(), self.sa_conn.begin_nested()))
        self.ok = ok_orm.Session(bind=self.ok_conn, join_transaction_mode=mode)
        self.sa = sa_orm.Session(bind=self.sa_conn, join_transaction_mode=mode)

    def _conn_insert(self, name: str) -> None:
        same_outcome(
            f"{self.what}: connection.execute(insert(users), name={name!r})",
            call(lambda: self.ok_conn.execute(ormkit.insert(self.ok_users), {"name": name})),
            call(lambda: self.sa_conn.execute(sa.insert(self.sa_users), {"name": name})),
        )

    @initialize(mode=MODES, outer=OUTERS, outer_row=st.booleans())
    def first_test(self, mode: str, outer: str, outer_row: bool) -> None:
        self._begin_test(mode, outer, outer_row)

    @rule(ending=ENDINGS, mode=MODES, outer=OUTERS, outer_row=st.booleans())
    def next_test(self, ending: str, mode: str, outer: str, outer_row: bool) -> None:
        """The fixture's teardown (its transaction ended, the Session closed), then the next
        test's setup."""
        for step in ending.split(", "):
            if step == "close":
                same_outcome(
                    f"{self.what}: session.close()",
                    call(self.ok.close),
                    call(self.sa.close),
                )
            elif self.outer:
                ok_tx, sa_tx = self.outer[0]
                same_outcome(
                    f"{self.what}: the caller's transaction.{step}()",
                    call(getattr(ok_tx, step)),
                    call(getattr(sa_tx, step)),
                )
            else:  # the caller began nothing: it ends what the Connection began by itself
                same_outcome(
                    f"{self.what}: connection.{step}()",
                    call(getattr(self.ok_conn, step)),
                    call(getattr(self.sa_conn, step)),
                )
        self.transactions_agree()
        self.databases_agree()
        self.ok_conn.close()
        self.sa_conn.close()
        self._begin_test(mode, outer, outer_row)

    # -- the test's steps -------------------------------------------------------------------

    @rule(name=NAME_VALUES)
    def add_user(self, name: str | None) -> None:
        ok_obj, sa_obj = OkUser(name=name), SaUser(name=name)
        same_outcome(
            f"{self.what}: add(User(name={name!r}))",
            call(lambda: self.ok.add(ok_obj)),
            call(lambda: self.sa.add(sa_obj)),
        )

    @rule(method=st.sampled_from(["flush", "commit", "rollback", "close"]))
    def session_method(self, method: str) -> None:
        same_outcome(
            f"{self.what}: session.{method}()",
            call(getattr(self.ok, method)),
            call(getattr(self.sa, method)),
        )

    @rule(name=SAVEPOINT_NAMES, end=SAVEPOINT_ENDS)
    def savepoint_block(self, name: str | None, end: str) -> None:
        ok_obj, sa_obj = OkUser(name=name), SaUser(name=name)
        same_outcome(
            f"{self.what}: with session.begin_nested(): add(User(name={name!r})), ended by {end}",
            call(lambda: _in_savepoint(self.ok, lambda: self.ok.add(ok_obj), end)),
            call(lambda: _in_savepoint(self.sa, lambda: self.sa.add(sa_obj), end, connect=True)),
        )

    @rule()
    def session_reads(self) -> None:
        ok_res = call(lambda: self.ok.scalars(ormkit.select(OkUser.name).order_by(OkUser.id)).all())
        sa_res = call(lambda: self.sa.scalars(sa.select(SaUser.name).order_by(SaUser.id)).all())
        if same_outcome(f"{self.what}: session.scalars(select(User.name))", ok_res, sa_res):
            assert ok_res == sa_res, f"{self.what}: session reads {ok_res} vs {sa_res}"

    @rule()
    def connection_reads(self) -> None:
        def names(conn: Any, select: Any, users: Any) -> list[str]:
            return list(conn.execute(select(users.c.name).order_by(users.c.id)).scalars())

        ok_res = call(lambda: names(self.ok_conn, ormkit.select, self.ok_users))
        sa_res = call(lambda: names(self.sa_conn, sa.select, self.sa_users))
        if same_outcome(f"{self.what}: connection.execute(select(users.c.name))", ok_res, sa_res):
            assert ok_res == sa_res, f"{self.what}: connection reads {ok_res} vs {sa_res}"

    @rule()
    def connection_inserts(self) -> None:
        self._conn_insert("by connection")

    @precondition(
        lambda self: (
            len(self.outer) == 2
            and self.sa_conn.get_nested_transaction() is self.outer[1][1]
            and not (
                self.ok._joined is not None
                and self.ok._joined.mode in ("control_fully", "rollback_only")
            )
        )
    )
    @rule(commit=st.booleans())
    def caller_ends_its_savepoint(self, commit: bool) -> None:
        """The caller releases or rolls back its savepoint (while the Session's own savepoint
        is not open inside it: module docstring)."""
        ok_tx, sa_tx = self.outer.pop()
        method = "commit" if commit else "rollback"
        same_outcome(
            f"{self.what}: the caller's savepoint.{method}()",
            call(getattr(ok_tx, method)),
            call(getattr(sa_tx, method)),
        )

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def databases_agree(self) -> None:
        ok_rows = _committed_rows(self.ok_path)["users"]
        sa_rows = _committed_rows(self.sa_path)["users"]
        assert ok_rows == sa_rows, (
            f"{self.what}: committed rows: ormkit {ok_rows} vs SQLAlchemy {sa_rows}"
        )

    @invariant()
    def transactions_agree(self) -> None:
        if self.ok is None:
            return
        ok_state = (
            self.ok_conn.in_transaction(),
            self.ok_conn.in_nested_transaction(),
            self.ok.in_transaction(),
            self.ok.in_nested_transaction(),
            [ok_tx.is_active for ok_tx, _ in self.outer],
        )
        sa_state = (
            self.sa_conn.in_transaction(),
            self.sa_conn.in_nested_transaction(),
            self.sa.in_transaction(),
            self.sa.in_nested_transaction(),
            [sa_tx.is_active for _, sa_tx in self.outer],
        )
        assert ok_state == sa_state, (
            f"{self.what}: (connection in_transaction, in_nested_transaction, session "
            f"in_transaction, in_nested_transaction, the caller's handles active): "
            f"ormkit {ok_state} vs SQLAlchemy {sa_state}"
        )


JoinTransactionDifferential.TestCase.settings = machine_settings(examples=60, steps=30)
TestJoinTransactionDifferential = JoinTransactionDifferential.TestCase
