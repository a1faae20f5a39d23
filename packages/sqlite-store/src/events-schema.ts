/**
 * Version 5: the event log (`events`, see `events.ts`) and the triggers that append a computation's
 * lifecycle events **in the transaction of the change** (whichever code path writes the record: the
 * tracker's claims and patches, the queue's enqueue, claim, retry, requeue and recovery). They are
 * core's event rules (`lifecycleEventType`, `ProgressCoalescer` in `@comp-manager/core/store-kit`)
 * written in SQL; the store-testkit's `events` group checks that both agree.
 *
 * `sequence` is `AUTOINCREMENT`: never reused, even after a prune emptied the table, so a reader's
 * position stays meaningful. Progress is coalesced by looking at the log itself (partial index on
 * progress events only, so the status events pay no index).
 */
const EVENT_DATA = `json_object(
      'attempt', NEW.attempt,
      'progress', json(NEW.progress),
      'error', CASE WHEN NEW.error IS NULL THEN NULL ELSE json_object(
        'name', json_extract(NEW.error, '$.name'), 'message', json_extract(NEW.error, '$.message')) END)`

const INSERT_EVENT = (type: string): string => `
  INSERT INTO events (type, namespace, at, computation_id, function, status, data)
  VALUES (${type}, NEW.namespace, NEW.updated_at, NEW.id, NEW.function, NEW.status, ${EVENT_DATA});`

export const SCHEMA_V5 = `
CREATE TABLE events (
  sequence       INTEGER PRIMARY KEY AUTOINCREMENT,
  type           TEXT    NOT NULL,
  namespace      TEXT    NOT NULL,
  at             INTEGER NOT NULL,
  computation_id TEXT,
  function       TEXT,
  status         TEXT,
  data           TEXT    NOT NULL
);
CREATE INDEX events_progress ON events (computation_id, at) WHERE type = 'progress';

CREATE TRIGGER events_computation_insert AFTER INSERT ON computations
WHEN NEW.status IN ('queued', 'started')
BEGIN${INSERT_EVENT(`CASE WHEN NEW.status = 'started' THEN 'started' WHEN NEW.attempt > 1 THEN 'retrying' ELSE 'queued' END`)}
END;

CREATE TRIGGER events_computation_status AFTER UPDATE OF status ON computations
WHEN NEW.status IS NOT OLD.status
BEGIN${INSERT_EVENT(`CASE NEW.status
    WHEN 'started' THEN CASE WHEN OLD.status = 'paused' THEN 'resumed' ELSE 'started' END
    WHEN 'queued' THEN CASE WHEN OLD.status = 'paused' THEN 'resumed' ELSE 'queued' END
    WHEN 'paused' THEN 'paused'
    WHEN 'finished' THEN 'finished'
    WHEN 'failed' THEN CASE WHEN json_extract(NEW.error, '$.name') = 'CancelledError' THEN 'cancelled' ELSE 'failed' END
    ELSE 'lost' END`)}
END;

CREATE TRIGGER events_computation_progress AFTER UPDATE OF progress ON computations
WHEN NEW.status = OLD.status AND NEW.progress IS NOT NULL AND NEW.progress IS NOT OLD.progress
  AND NOT EXISTS (SELECT 1 FROM events
                  WHERE type = 'progress' AND computation_id = NEW.id AND at > NEW.updated_at - 1000)
BEGIN${INSERT_EVENT(`'progress'`)}
END;
`
