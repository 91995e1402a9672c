-- Issue 16: events `vouch watch` delivered to the gate (signed webhooks). Append-only; the event id
-- (derived by watch from what it observed) is the key, so a redelivery stores nothing twice.
-- quarantine = 1: the event withholds its version until an approver grants the rule
-- 'watch-quarantine' for it after the event arrived.
CREATE TABLE watch_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    delivery_id TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    previous_version TEXT,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warn', 'info')),
    rule TEXT,
    detail TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    quarantine INTEGER NOT NULL CHECK (quarantine IN (0, 1))
);
CREATE INDEX watch_events_subject ON watch_events (name, version);
CREATE INDEX watch_events_quarantine ON watch_events (quarantine, name, version);

CREATE TRIGGER watch_events_no_update BEFORE UPDATE ON watch_events BEGIN SELECT RAISE(ABORT, 'watch_events is append-only'); END;
CREATE TRIGGER watch_events_no_delete BEFORE DELETE ON watch_events BEGIN SELECT RAISE(ABORT, 'watch_events is append-only'); END;
CREATE TRIGGER watch_events_no_replace BEFORE INSERT ON watch_events
WHEN (NEW.seq IS NOT NULL AND EXISTS (SELECT 1 FROM watch_events WHERE seq = NEW.seq))
  OR EXISTS (SELECT 1 FROM watch_events WHERE event_id = NEW.event_id)
BEGIN SELECT RAISE(ABORT, 'watch_events is append-only'); END;
