"""Seed notebook 003: a file database, new/dirty/deleted, and the legacy autocommit flag.

The notebook hit ``InvalidRequestError: No transaction is begun`` with ``autocommit = True``
and showed rows doubled by re-running cells against the same file. In ormkit, autocommit
mode commits each flush by itself and ``commit()`` never raises; this script starts from a
fresh ``pets.sqlite`` (in the directory it runs in) so it ends with exactly the rows a reader
expects.
"""

import os

from ormkit import create_engine, Column, Integer, String  # noqa: I001 - as the notebook has it
from ormkit.ext.declarative import declarative_base

Base = declarative_base()


# Define our pet table
class Pet(Base):
    __tablename__ = "pet"
    id = Column(Integer, primary_key=True)
    name = Column(String)
    type = Column(String)
    age = Column(Integer)


# Right now, this table only exists in python and not in the actual database
print(Base.metadata.tables)

if os.path.exists("pets.sqlite"):
    os.remove("pets.sqlite")  # a fresh start: re-running must not double the rows

# Create our database engine
engine = create_engine("sqlite:///pets.sqlite")

# This is where we create our tables in the database
Base.metadata.create_all(engine)

# The ORM's "handle" to the database is the Session.
from ormkit.orm import Session  # noqa: E402

session = Session(engine)
session.autocommit = True

## Create Data
# Note that adding to the session does not update the table. It queues up those queries.
session.add(Pet(name="Justin Timbersnake", type="snek", age=2))
session.add(Pet(name="Pawtrick Stewart", type="good boy", age=10))
session.add(Pet(name="Godzilla", type="iguana", age=1))
session.add(Pet(name="Marshmallow", type="polar bear", age=4))

# The data hasn't been added yet
print(engine.execute("select * from pet").fetchall())

# We can use the new attribute to see the queue of data ready to go into the database
print(session.new)

# commit() flushes whatever remaining changes remain to the database, and commits the transaction.
session.commit()

# Nothing new to add
print(session.new)

# query the database
print(session.query(Pet.name, Pet.type, Pet.age).all())

## Update Data
# Create a query and then run update on it
pet = session.query(Pet).filter_by(name="Marshmallow").first()
pet.age += 1
pet.type = "kitteh"

# For modifications, we can use the dirty attribute
print(session.dirty)

# Commit Transaction (the notebook got "No transaction is begun" here; ormkit just commits)
session.commit()

# Session is up-to-date
print(session.dirty)

session.add(Pet(name="Marshmallow", type="polar bear", age=4))
session.commit()
print(session.query(Pet.id, Pet.name, Pet.type, Pet.age).all())

## Delete Data
# Create a query and then delete the row collected
pet = session.query(Pet).filter_by(name="Godzilla").one()
session.delete(pet)

print(session.deleted)

session.commit()

print(session.deleted)

print(session.query(Pet.id, Pet.name, Pet.type, Pet.age).all())

# Close the session
session.close()
