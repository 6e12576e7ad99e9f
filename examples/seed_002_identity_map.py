"""Seed notebook 002: a string primary key, the identity map and autoflush.

The query for Jenny flushes the pending object first, then returns *the same* Python object
(``jenny_from_db is jenny``), because the identity map has one object per row. ``first()``
sends LIMIT/OFFSET; after commit ``session.new`` is empty.
"""

from ormkit import create_engine

engine = create_engine("sqlite:///:memory:", echo=True)
# echo=True sets up logging mode for ormkit
print(repr(engine))

from ormkit.ext.declarative import declarative_base  # noqa: E402

Base = declarative_base()

from ormkit import Column, Integer, String  # noqa: E402


class User(Base):
    __tablename__ = "users"
    name = Column(String, primary_key=True)
    number = Column(Integer)

    def __repr__(self):
        return f"User(name={self.name}, number={self.number})"


Base.metadata.create_all(engine)  # Creates the table

jenny = User(name="Jenny", number=8675309)
print(jenny)
print(jenny.name)
print(jenny.number)

from ormkit.orm import sessionmaker  # noqa: E402

Session = sessionmaker(bind=engine)

session = Session()
session.add(jenny)

jenny_from_db = session.query(User).filter_by(name="Jenny").first()
print(jenny_from_db)

print(jenny_from_db is jenny)

session.commit()  # Actually inserting our rows into the DB

print(session.new)  # No more items pending

print(session.query(User).filter_by(name="Jenny").first())  # Still retrieves from the DB
