"""Seed notebook 001: a ``session_scope()`` helper that commits, rolls back and closes.

Uncommitted changes are rolled back when the block raises: 'Edwardo' reverts to 'ed'.
A closed session can be used again (cell 7 queries after the block closed it).
ormkit also has this built in: ``with Session.begin() as session:`` (sessionmaker.begin()).
"""

from ormkit.ext.declarative import declarative_base
from ormkit.orm import sessionmaker
from ormkit import create_engine, Column, Integer, String  # noqa: I001 - as the notebook has it

engine = create_engine("sqlite:///:memory:")
Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    fullname = Column(String)
    nickname = Column(String)

    def __repr__(self):
        return "<User(name='%s', fullname='%s', nickname='%s')>" % (
            self.name,
            self.fullname,
            self.nickname,
        )


Base.metadata.create_all(engine)

## use contextmanager
from contextlib import contextmanager  # noqa: E402


@contextmanager
def session_scope(engine):
    """Provide a transactional scope around a series of operations."""
    sess_cls = sessionmaker(bind=engine)
    session = sess_cls()
    try:
        yield session
        session.commit()
    except:  # noqa: E722 - as written in the notebook
        session.rollback()
        raise
    finally:
        session.close()


# table is empty
with session_scope(engine) as session:
    print(session.query(User).all())

with session_scope(engine) as session:
    # add one item, will be commited if no error raised
    ed_user = User(name="ed", fullname="Ed Jones", nickname="edsnickname")
    session.add(ed_user)

# check commit (the session was closed by the scope, and is usable again)
print(session.query(User).all())

try:
    with session_scope(engine) as session:
        # modify item & not commit
        ed_user = session.query(User).first()
        ed_user.name = "Edwardo"
        print(session.query(User).all())
        # encounter an error, will rollback all uncommited changes
        _ = 0 / 0
except Exception as e:
    print(e)

# check rollback
with session_scope(engine) as session:
    print(session.query(User).all())
