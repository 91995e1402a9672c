-- Issue 16: events `vouch watch` delivered to the gate (signed webhooks); same columns as SQLite.
-- Append-only; the event id is the key, so a redelivery stores nothing twice.
CREATE TABLE watch_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

CREATE FUNCTION watch_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'watch_events is append-only';
END;
$$;
CREATE TRIGGER watch_events_no_change BEFORE UPDATE OR DELETE ON watch_events FOR EACH ROW EXECUTE FUNCTION watch_events_append_only();
CREATE TRIGGER watch_events_no_truncate BEFORE TRUNCATE ON watch_events FOR EACH STATEMENT EXECUTE FUNCTION watch_events_append_only();
