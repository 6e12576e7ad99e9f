"""Small data structures and algorithms with no knowledge of SQL."""

from ormkit.util.collections import FacadeDict, IdentitySet, LRUCache, immutabledict
from ormkit.util.gcpause import gc_paused
from ormkit.util.topological import CycleError, sort

__all__ = [
    "CycleError",
    "FacadeDict",
    "IdentitySet",
    "LRUCache",
    "gc_paused",
    "immutabledict",
    "sort",
]
