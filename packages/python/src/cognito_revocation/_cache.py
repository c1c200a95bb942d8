"""The lookup cache: recent cutoff lookups ("no cutoff" included) per table and per process,
and the lookups in flight, so that concurrent checks of one user (threads) share one
``GetItem``.

How long a lookup is reused is the longest a new cutoff can go unnoticed by this process. The
default, 1 s, keeps the promise "a signed-out user's tokens stop working within a second"
while a burst of one user's requests costs one table read instead of dozens. 0 turns the cache
off, and the sharing of lookups in flight with it: every check then reads the table itself."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from ._errors import RevocationLookupError

MAX_CACHED_LOOKUPS = 10_000
"""Most lookups kept; past it, expired ones are dropped, then everything if need be."""


class _Flight:
    """One lookup in flight, which other threads wait on."""

    __slots__ = ("done", "found", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.found: int | None = None
        self.error: BaseException | None = None

    def wait(self) -> int | None:
        self.done.wait()
        if self.error is not None:
            if isinstance(self.error, RevocationLookupError):
                raise self.error.copy()
            raise self.error
        return self.found


class LookupCache:
    """The cache of one table, shared by every check of that table and client in the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int | None, float]] = {}
        self._in_flight: dict[str, _Flight] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(
        self, key: str, ttl: float, clock: Callable[[], float], read: Callable[[], int | None]
    ) -> int | None:
        """``key``'s lookup: from the cache when one ended less than ``ttl`` seconds ago (by
        ``clock``), else the one in flight, else a new ``read()``, cached when it succeeds.
        ``ttl`` 0: always ``read()``."""
        if ttl == 0:
            return read()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and clock() - entry[1] < ttl:
                return entry[0]
            flight = self._in_flight.get(key)
            if flight is None:
                flight = self._in_flight[key] = _Flight()
                leader = True
            else:
                leader = False
        if not leader:
            return flight.wait()
        try:
            found = read()
        except BaseException as err:
            with self._lock:
                del self._in_flight[key]
            flight.error = err
            flight.done.set()
            raise
        with self._lock:
            del self._in_flight[key]
            self._put(key, found, ttl, clock())
        flight.found = found
        flight.done.set()
        return found

    def _put(self, key: str, found: int | None, ttl: float, now: float) -> None:
        entries = self._entries
        if len(entries) >= MAX_CACHED_LOOKUPS:
            for k in [k for k, (_, at) in entries.items() if not now - at < ttl]:
                del entries[k]
            if len(entries) >= MAX_CACHED_LOOKUPS:
                entries.clear()
        entries.pop(key, None)
        entries[key] = (found, now)


_caches: Any = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(client: object, table_name: str) -> LookupCache:
    """The process's cache of ``table_name`` read through ``client``."""
    with _caches_lock:
        tables = _caches.get(client)
        if tables is None:
            tables = {}
            _caches[client] = tables
        cache = tables.get(table_name)
        if cache is None:
            cache = tables[table_name] = LookupCache()
        return cache
