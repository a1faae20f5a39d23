import { cmError } from '@comp-manager/core'

/**
 * The tables of schema version 1 (see `migrations.ts`), and how values map onto columns.
 *
 * Conventions:
 * - timestamps are INTEGER epoch milliseconds (`NULL` = not set). The tables are not `STRICT`, so a
 *   fractional millisecond a caller's clock produced survives the round trip instead of failing.
 * - structured fields (args, error, progress, result, checkpoint, tags) are JSON text; `NULL` is
 *   the domain's `null`.
 * - the cache value is a BLOB holding the UTF-8 bytes of the codec text, and it is the **last**
 *   column: SQLite reads a row's columns in order and only follows overflow pages when asked for
 *   a column stored there, so listings, stats and sweeps that skip `value` never read the
 *   (possibly huge) value pages.
 */
export const SCHEMA_V1 = `
CREATE TABLE computations (
  id              TEXT    NOT NULL PRIMARY KEY,
  namespace       TEXT    NOT NULL,
  name            TEXT    NOT NULL,
  function        TEXT    NOT NULL,
  function_full   TEXT    NOT NULL,
  hash            TEXT    NOT NULL,
  hash_algorithm  TEXT    NOT NULL,
  attempt         INTEGER NOT NULL CHECK (attempt >= 1),
  status          TEXT    NOT NULL
                  CHECK (status IN ('queued', 'started', 'paused', 'finished', 'failed', 'lost')),
  pid             INTEGER,
  host            TEXT,
  owner           TEXT,
  message         TEXT,
  error           TEXT,
  progress        TEXT,
  result          TEXT,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  paused_at       INTEGER,
  heartbeat_at    INTEGER,
  lease_until     INTEGER,
  schema_version  INTEGER NOT NULL,
  args            TEXT,
  checkpoint      TEXT
);
-- one row per attempt of a hash; also serves "latest attempt of a hash" (ORDER BY attempt DESC)
CREATE UNIQUE INDEX computations_hash ON computations (namespace, hash, attempt);
CREATE INDEX computations_status ON computations (namespace, status, created_at);
CREATE INDEX computations_function_full ON computations (namespace, function_full);
CREATE INDEX computations_function ON computations (namespace, function);
CREATE INDEX computations_created ON computations (namespace, created_at, id);
CREATE INDEX computations_updated ON computations (namespace, updated_at, id);
-- sweeps for expired leases: status IN ('started','paused') AND lease_until <= now
CREATE INDEX computations_lease ON computations (status, lease_until);

CREATE TABLE cache_entries (
  namespace       TEXT    NOT NULL,
  key             TEXT    NOT NULL,
  function        TEXT    NOT NULL,
  function_full   TEXT    NOT NULL,
  version         TEXT,
  algorithm       TEXT    NOT NULL,
  size            INTEGER NOT NULL,
  tags            TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  expires_at      INTEGER,
  hits            INTEGER NOT NULL DEFAULT 0,
  last_hit_at     INTEGER,
  schema_version  INTEGER NOT NULL,
  args            TEXT,
  value           BLOB    NOT NULL
);
CREATE UNIQUE INDEX cache_entries_key ON cache_entries (namespace, key);
CREATE INDEX cache_entries_expires ON cache_entries (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX cache_entries_function_full ON cache_entries (namespace, function_full);
CREATE INDEX cache_entries_function ON cache_entries (namespace, function);
CREATE INDEX cache_entries_version ON cache_entries (namespace, version);
CREATE INDEX cache_entries_created ON cache_entries (namespace, created_at, key);
CREATE INDEX cache_entries_hits ON cache_entries (namespace, hits, key);
CREATE INDEX cache_entries_size ON cache_entries (namespace, size, key);

-- Tags live in their own table rather than being matched with json_each(cache_entries.tags):
-- json_each cannot use an index, so "invalidate/list by tag" would parse the tags of every entry
-- of the namespace, while this table answers it with one index range (namespace, tag). The
-- entry's own \`tags\` column keeps the list in the caller's order for reads, so a get never joins.
CREATE TABLE cache_tags (
  namespace TEXT NOT NULL,
  tag       TEXT NOT NULL,
  key       TEXT NOT NULL,
  PRIMARY KEY (namespace, tag, key)
) WITHOUT ROWID;
CREATE INDEX cache_tags_key ON cache_tags (namespace, key);
-- every DELETE of entries (delete, invalidate, purge) drops their tags in the same statement;
-- \`set\` replaces an entry with an UPSERT (no DELETE) and rewrites its tags itself.
CREATE TRIGGER cache_entries_drop_tags AFTER DELETE ON cache_entries BEGIN
  DELETE FROM cache_tags WHERE namespace = old.namespace AND key = old.key;
END;
`

/**
 * Version 2: running time is accumulated by the lifecycle instead of derived from start and finish
 * (which counted paused time, and for a lost run the time until its death was noticed), and a pause is
 * first a request the runner honours. Existing rows get what version 1 would have shown, paused time
 * excluded where it is known.
 */
export const SCHEMA_V2 = `
ALTER TABLE computations ADD COLUMN active_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE computations ADD COLUMN active_since INTEGER;
ALTER TABLE computations ADD COLUMN pause_requested_at INTEGER;
UPDATE computations SET active_since = started_at WHERE status = 'started' AND started_at IS NOT NULL;
UPDATE computations SET active_ms = max(0, paused_at - started_at)
  WHERE status = 'paused' AND started_at IS NOT NULL AND paused_at IS NOT NULL;
UPDATE computations SET active_ms = max(0, coalesce(heartbeat_at, finished_at) - started_at)
  WHERE status = 'lost' AND started_at IS NOT NULL;
UPDATE computations SET active_ms = max(0, finished_at - started_at)
  WHERE status IN ('finished', 'failed') AND started_at IS NOT NULL AND finished_at IS NOT NULL;
`

/**
 * Version 3: the queue (`@comp-manager/worker`). Job fields on every record (existing rows get the
 * defaults: priority 0, no run-at, one attempt, no worker); `due_at`, a virtual column (computed on
 * read, no storage), is when a queued job becomes claimable, so one partial index serves the claim
 * order (priority desc, due time, creation, id) over the queued rows only. The worker registry and
 * the repeat schedules get their own tables.
 */
export const SCHEMA_V3 = `
ALTER TABLE computations ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
ALTER TABLE computations ADD COLUMN run_at INTEGER;
ALTER TABLE computations ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 1;
ALTER TABLE computations ADD COLUMN worker TEXT;
ALTER TABLE computations ADD COLUMN due_at INTEGER GENERATED ALWAYS AS (coalesce(run_at, created_at)) VIRTUAL;
-- claimNext: the queued rows in claim order
CREATE INDEX computations_queue ON computations (priority DESC, due_at, created_at, id) WHERE status = 'queued';
-- fleet-wide limits: the running claimed jobs of a function
CREATE INDEX computations_slots ON computations (function, namespace) WHERE status = 'started' AND worker IS NOT NULL;
-- prune: terminal rows of a namespace and function by end time
CREATE INDEX computations_ended ON computations (namespace, function, finished_at)
  WHERE status IN ('finished', 'failed', 'lost');

CREATE TABLE queue_workers (
  id            TEXT    NOT NULL PRIMARY KEY,
  namespaces    TEXT    NOT NULL,
  functions     TEXT    NOT NULL,
  host          TEXT    NOT NULL,
  pid           INTEGER NOT NULL,
  concurrency   INTEGER NOT NULL,
  running       INTEGER NOT NULL,
  started_at    INTEGER NOT NULL,
  version       TEXT,
  last_seen_at  INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL
);
CREATE INDEX queue_workers_expires ON queue_workers (expires_at);

CREATE TABLE queue_schedules (
  namespace     TEXT    NOT NULL,
  name          TEXT    NOT NULL,
  function      TEXT    NOT NULL,
  function_full TEXT    NOT NULL,
  args          TEXT,
  cron          TEXT,
  every_ms      INTEGER,
  next_run_at   INTEGER NOT NULL,
  priority      INTEGER NOT NULL,
  max_attempts  INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  last_run_at   INTEGER,
  PRIMARY KEY (namespace, name)
);
CREATE INDEX queue_schedules_due ON queue_schedules (namespace, next_run_at);
`

/** JSON text of a field for a TEXT column; `null`/`undefined` → SQL NULL. */
export function jsonColumn(value: unknown, field: string): string | null {
  if (value === null || value === undefined) return null
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (err) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${field} must be a JSON tree (codec-encoded): ${(err as Error).message}`,
      {
        cause: err,
        details: { field },
      },
    )
  }
  if (text === undefined) {
    throw cmError(
      'CM_ERR_INVALID_ARGUMENT',
      `${field} must be a JSON tree (codec-encoded), got a function or symbol`,
      {
        details: { field },
      },
    )
  }
  return text
}

/** The value of a JSON TEXT column; SQL NULL → `null`. */
export function fromJsonColumn(text: string | null): unknown {
  return text === null ? null : JSON.parse(text)
}

/**
 * Version 4: indexes that cover each filter of the listings together with its order, so a page, a
 * cursor position and a bounded count are index ranges (see `listing.ts`): status and function
 * (short and full) followed by each sort column and the tie-breaker, for computations; function and
 * version followed by `created_at, key`, for cache entries. The old two-column indexes they extend
 * are dropped.
 */
export const SCHEMA_V4 = `
DROP INDEX computations_status;
DROP INDEX computations_function;
DROP INDEX computations_function_full;
CREATE INDEX computations_status ON computations (namespace, status, created_at, id);
CREATE INDEX computations_status_updated ON computations (namespace, status, updated_at, id);
CREATE INDEX computations_function ON computations (namespace, function, created_at, id);
CREATE INDEX computations_function_updated ON computations (namespace, function, updated_at, id);
-- \`function\` last: the full-name branch checks \`function <> ?\` from the index, without the row
CREATE INDEX computations_function_full ON computations (namespace, function_full, created_at, id, function);
CREATE INDEX computations_function_full_updated ON computations (namespace, function_full, updated_at, id, function);
-- status + function: both equalities in the prefix, so a rare combination is a short range to count
CREATE INDEX computations_function_status ON computations (namespace, function, status, created_at, id);
CREATE INDEX computations_function_full_status
  ON computations (namespace, function_full, status, created_at, id, function);
DROP INDEX cache_entries_function;
DROP INDEX cache_entries_function_full;
DROP INDEX cache_entries_version;
CREATE INDEX cache_entries_function ON cache_entries (namespace, function, created_at, key);
CREATE INDEX cache_entries_function_full ON cache_entries (namespace, function_full, created_at, key);
CREATE INDEX cache_entries_version ON cache_entries (namespace, version, created_at, key);
`

/**
 * Version 6: a cron schedule's time zone, and the lost retries the claiming worker gave a job (read
 * by `computations.expire`; NULL for a job never claimed or claimed before version 6: the default, 3).
 */
export const SCHEMA_V6 = `
ALTER TABLE queue_schedules ADD COLUMN tz TEXT;
ALTER TABLE computations ADD COLUMN max_lost_retries INTEGER;
`
