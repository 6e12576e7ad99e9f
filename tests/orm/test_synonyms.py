"""Synonyms: a second name for a mapped attribute on instances, in constructors, in
queries (labeled with its own name, usable in filter_by), with a descriptor of its own;
on every backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import ormkit
from ormkit import String, exc, select
from ormkit.orm import DeclarativeBase, Mapped, Session, mapped_column, synonym, synonym_for


class Base(DeclarativeBase):
    pass


class Job(Base):
    __tablename__ = "synonym_jobs"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column("job_title", String(20), default="x")
    job_status = synonym("status")
    label = synonym("title")

    @synonym_for("status")
    @property
    def status_shout(self) -> str:
        return self.status.upper()


@pytest.fixture
def jobs(engine: ormkit.Engine) -> Iterator[ormkit.Engine]:
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all([Job(job_status="open", label="a"), Job(status="done", title="b")])
        s.commit()
    yield engine


def test_a_synonym_reads_and_writes_the_attribute_it_names(jobs: ormkit.Engine) -> None:
    with Session(jobs) as s:
        job = s.scalars(select(Job).where(Job.job_status == "open")).one()
        assert (job.job_status, job.status, job.label) == ("open", "open", "a")
        job.job_status = "closed"
        assert job.status == "closed" and job in s.dirty
        s.commit()
        assert s.scalars(select(Job.status).order_by(Job.id)).all() == ["closed", "done"]


def test_a_synonym_in_queries_is_labeled_and_usable_in_filter_by(jobs: ormkit.Engine) -> None:
    with Session(jobs) as s:
        row = s.execute(select(Job.job_status).where(Job.id == 2)).one()
        assert row._fields == ("job_status",) and row.job_status == "done"
        found = s.scalars(select(Job).filter_by(job_status="done", label="b")).one()
        assert found.id == 2
        # filter_by names attributes, also one whose column is named otherwise
        assert s.scalars(select(Job.id).filter_by(title="a")).all() == [1]


def test_a_synonym_with_a_descriptor_uses_it_on_instances(jobs: ormkit.Engine) -> None:
    with Session(jobs) as s:
        job = s.get(Job, 1)
        assert job is not None and job.status_shout == "OPEN"
        assert s.scalars(select(Job.id).where(Job.status_shout == "done")).all() == [2]
        with pytest.raises(AttributeError):
            job.status_shout = "x"  # type: ignore[misc]  # the property has no setter


def test_mapper_lists_synonyms_and_a_synonym_of_nothing_is_refused() -> None:
    assert set(Job.__mapper__.synonyms) == {"job_status", "label", "status_shout"}
    with pytest.raises(
        exc.ArgumentError, match=r"Bad.alias = synonym\('nope'\): Bad has no mapped attribute"
    ):

        class Bad(Base):
            __tablename__ = "synonym_bad"
            id: Mapped[int] = mapped_column(primary_key=True)
            alias = synonym("nope")


def test_a_synonym_assigned_after_the_class_is_mapped() -> None:
    Job.state = synonym("status")  # type: ignore[attr-defined]
    assert "state" in Job.__mapper__.synonyms
    assert Job(status="x").state == "x"  # type: ignore[attr-defined]


def test_synonym_arguments_ormkit_does_not_support_are_refused() -> None:
    with pytest.raises(exc.ArgumentError, match=r"synonym\(\) does not support argument 'map_c"):
        synonym("status", map_column=True)
    with pytest.raises(exc.ArgumentError, match=r"does not support argument 'comparator_factory'"):
        synonym("status", comparator_factory=object)
