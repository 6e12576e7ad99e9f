"""Events: ``event.listen(target, name, fn)`` calls ``fn`` when ``name`` happens on ``target``.

Targets are engines and connections (statements, transactions), pools (driver connections),
and the targets the ORM registers. Each layer registers its own events (see ``registry``).
"""

from ormkit.event.api import contains, listen, listens_for, remove

__all__ = ["contains", "listen", "listens_for", "remove"]
