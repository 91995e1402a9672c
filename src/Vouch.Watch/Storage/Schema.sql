-- The watch store (SQLite). Events are append-only: triggers refuse UPDATE, DELETE and an INSERT
-- that would replace a row, whatever connection it comes from. Package state and the webhook
-- outbox change, but a delivered outbox row is final and no outbox row is ever deleted.
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  code TEXT NOT NULL,
  package TEXT NOT NULL,
  version TEXT NOT NULL,
  previous_version TEXT,
  severity TEXT NOT NULL CHECK (severity IN ('error', 'warn', 'info')),
  rule TEXT,
  detail TEXT NOT NULL,
  observed_at TEXT NOT NULL
);

CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_replace BEFORE INSERT ON events
WHEN (NEW.seq IS NOT NULL AND EXISTS (SELECT 1 FROM events WHERE seq = NEW.seq)) OR EXISTS (SELECT 1 FROM events WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE IF NOT EXISTS package_state (
  package TEXT PRIMARY KEY,
  revision INTEGER NOT NULL,
  state TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY,
  first_seq INTEGER NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  lease_until TEXT,
  delivered_at TEXT,
  gave_up_at TEXT,
  last_error TEXT
);

CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
CREATE TRIGGER IF NOT EXISTS outbox_no_delete BEFORE DELETE ON outbox BEGIN SELECT RAISE(ABORT, 'outbox rows are never deleted'); END;
CREATE TRIGGER IF NOT EXISTS outbox_body_fixed BEFORE UPDATE OF id, first_seq, body ON outbox BEGIN SELECT RAISE(ABORT, 'an outbox body never changes'); END;
CREATE TRIGGER IF NOT EXISTS outbox_final BEFORE UPDATE ON outbox WHEN OLD.delivered_at IS NOT NULL OR OLD.gave_up_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a finished delivery is final'); END;
CREATE TRIGGER IF NOT EXISTS outbox_no_replace BEFORE INSERT ON outbox WHEN EXISTS (SELECT 1 FROM outbox WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'outbox rows are never replaced'); END;
