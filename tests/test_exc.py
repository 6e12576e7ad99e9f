"""ormkit.exc: what an error's text shows, and what survives pickling."""

from __future__ import annotations

import pickle

from ormkit import exc


def test_hidden_parameters_stay_hidden_after_pickling() -> None:
    err = exc.IntegrityError(
        "(driver.IntegrityError) duplicate key", "INSERT INTO t VALUES (?)", ("secret",), None
    )
    err.hide_parameters = True
    err.retryable = True
    copy = pickle.loads(pickle.dumps(err))
    assert str(copy).splitlines() == [
        "(driver.IntegrityError) duplicate key",
        "[SQL: INSERT INTO t VALUES (?)]",
        "[SQL parameters hidden due to hide_parameters=True]",
    ]
    assert copy.params == ("secret",)
    assert copy.retryable


def test_parameters_are_shown_unless_hidden() -> None:
    err = exc.StatementError("failed", "SELECT ?", ("value",), None)
    assert str(err).splitlines()[-1] == "[parameters: ('value',)]"


def test_circular_dependency_error_is_an_ormkit_error_that_pickles() -> None:
    assert issubclass(exc.CircularDependencyError, exc.OrmkitError)
    assert not issubclass(exc.CircularDependencyError, exc.InvalidRequestError)
    err = exc.CircularDependencyError("cycle", ["a", "b"], [("a", "b"), ("b", "a")])
    copy = pickle.loads(pickle.dumps(err))
    assert str(copy) == "cycle" and copy.cycles == ["a", "b"]
    assert copy.edges == [("a", "b"), ("b", "a")]
