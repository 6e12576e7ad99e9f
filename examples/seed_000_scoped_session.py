"""Seed notebook 000: echo logging, scoped_session, and when a Session sends SQL.

The notebook's code, with ``sqlalchemy`` renamed to ``ormkit``. Run it and read the echo log:
``commit()`` on a fresh session sends nothing, a pending object is flushed (INSERT) before
the query that must see it, and ``rollback()`` throws away work that was never committed.
"""

# http://docs.sqlalchemy.org/en/latest/orm/tutorial.html
import ormkit

print(ormkit.__version__)

from ormkit import create_engine  # noqa: E402

engine = create_engine("sqlite:///:memory:", echo=True)
from ormkit.ext.declarative import declarative_base  # noqa: E402

Base = declarative_base()

from ormkit import Column, Integer, String  # noqa: E402


class User(Base):
    __tablename__ = "users"

    id = Column(Integer, primary_key=True)
    name = Column(String)
    fullname = Column(String)
    password = Column(String)

    def __repr__(self):
        return f"<user name={self.name}>"


Base.metadata.create_all(engine)

from ormkit.orm import scoped_session, sessionmaker  # noqa: E402

Session = scoped_session(sessionmaker(bind=engine))

# Does Session.commit() send SQL? No: nothing was added, and no transaction needed a connection.
Session.commit()

# request NO.1: the query autoflushes the pending user, so it sees it before the commit.
Session.add(User(name="1"))

print("USER:", Session.query(User).filter(User.name == "1").all())

Session.commit()

print("USER:", Session.query(User).filter(User.name == "1").all())

# request NO.2: in one thread, Session() is always the same session.
session2 = Session()
session3 = Session()

session2.add(User(name="2"))
print("USER:", session3.query(User).filter(User.name == "2").all())
session2.commit()

# An exception before commit: rollback() discards the pending user "4".
try:
    session4 = Session()
    session4.add(User(name="4"))

    assert 1 == 2
    session4.commit()
except Exception:
    Session.rollback()

print(session4.query(User).filter(User.name == "4").all())
