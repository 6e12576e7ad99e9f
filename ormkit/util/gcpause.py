"""Pausing the cyclic garbage collector around bulk work that makes no garbage cycles.

Loading or flushing thousands of objects allocates many containers; each allocation counts
towards the collector's next pass, and those passes walk every tracked object (the session's
objects included) while finding nothing to free. Pausing the collector for the duration of
such a step removes that cost; it runs again, normally, right after. A collector the
application disabled stays disabled.
"""

from __future__ import annotations

import gc
from typing import Any

#: Steps over fewer objects than this run with the collector as it is.
PAUSE_AT = 64


class gc_paused:  # a lower-case name: it reads as a statement, ``with gc_paused(n):``
    """Context manager: no cyclic collection inside, when ``size`` is worth it."""

    __slots__ = ("paused",)

    def __init__(self, size: int) -> None:
        self.paused = size >= PAUSE_AT and gc.isenabled()

    def __enter__(self) -> None:
        if self.paused:
            gc.disable()

    def __exit__(self, *exc_info: Any) -> None:
        if self.paused:
            gc.enable()
