"""examples/blog.py runs on every backend and shows the statement counts of each strategy."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_blog_example_loads_related_rows_with_the_promised_statement_counts(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    module = runpy.run_path(str(EXAMPLES / "blog.py"))
    module["main"](url)
    out = capsys.readouterr().out
    assert "saved: 58 posts, 3 comments" in out
    assert "- Does commit() send SQL?\n      - Only when something is pending.\n" in out
    assert "lazy loading (one query per user)       21 statements, 58 posts" in out
    assert "(ormkit warned: N+1)" in out
    assert "selectinload(User.posts)                 2 statements, 58 posts\n" in out
    assert "joinedload(User.posts)                   1 statements, 58 posts\n" in out
    assert "after deleting ada: 0 comments left" in out
