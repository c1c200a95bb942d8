/**
 * The lookup cache: recent cutoff lookups ("no cutoff" included) per table and per process,
 * and the lookups in flight, so that concurrent checks of one user share one `GetItem`.
 *
 * How long a lookup is reused is the longest a new cutoff can go unnoticed by this process.
 * The default, 1 s, keeps the promise "a signed-out user's tokens stop working within a
 * second" while a burst of one user's requests (a page load fans out into dozens of API
 * calls) costs one table read instead of dozens. 0 turns the cache off, and the sharing of
 * lookups in flight with it: every check then reads the table itself.
 */

/** Most lookups kept; past it, expired ones are dropped, then everything if need be. */
export const MAX_CACHED_LOOKUPS = 10_000;

/** A cutoff as read: its `revokedBefore`, or `null` for none. */
export type Lookup = bigint | null;

/** The cache of one table, shared by every check of that table and client in the process. */
export class LookupCache {
  private readonly entries = new Map<string, { readonly found: Lookup; readonly at: number }>();
  private readonly inFlight = new Map<string, Promise<Lookup>>();

  /**
   * `key`'s lookup: from the cache when one ended less than `ttlMs` ago (by `now`), else the
   * one in flight, else a new `read()`, cached when it succeeds. `ttlMs` 0: always `read()`.
   */
  lookup(key: string, ttlMs: number, clock: () => number, read: () => Promise<Lookup>): Promise<Lookup> | Lookup {
    if (ttlMs === 0) return read();
    const entry = this.entries.get(key);
    if (entry !== undefined && clock() - entry.at < ttlMs) return entry.found;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = read().then(
        (found) => {
          this.inFlight.delete(key);
          this.put(key, found, ttlMs, clock());
          return found;
        },
        (err: unknown) => {
          this.inFlight.delete(key);
          throw err;
        },
      );
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** The number of lookups kept (for tests). */
  get size(): number {
    return this.entries.size;
  }

  private put(key: string, found: Lookup, ttlMs: number, now: number): void {
    if (this.entries.size >= MAX_CACHED_LOOKUPS) {
      for (const [k, { at }] of this.entries) {
        if (!(now - at < ttlMs)) this.entries.delete(k);
      }
      if (this.entries.size >= MAX_CACHED_LOOKUPS) this.entries.clear();
    }
    // Re-inserted so that the map's order stays the order of the lookups.
    this.entries.delete(key);
    this.entries.set(key, { found, at: now });
  }
}

const caches = new WeakMap<object, Map<string, LookupCache>>();

/** The process's cache of `tableName` read through `client`. */
export function cacheFor(client: object, tableName: string): LookupCache {
  let tables = caches.get(client);
  if (tables === undefined) {
    tables = new Map();
    caches.set(client, tables);
  }
  let cache = tables.get(tableName);
  if (cache === undefined) {
    cache = new LookupCache();
    tables.set(tableName, cache);
  }
  return cache;
}
