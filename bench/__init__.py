"""Benchmark harness: ormkit beside raw DB-API, SQLAlchemy 2.x (ORM and Core) and peewee.

Run ``python -m bench --help`` (or ``make bench``). See the "Benchmarks" section of README.md.
"""
