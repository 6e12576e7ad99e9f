"""Differential tests: ormkit and SQLAlchemy 2.x run the same programs, and must agree."""
