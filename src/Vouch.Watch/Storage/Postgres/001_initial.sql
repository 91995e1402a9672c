-- The watch store in PostgreSQL (issue 16): everything in schema vouch_watch, so it can share a
-- database with the gate (whose tables, watch_events included, live in the connection's current
-- schema and are migrated by the gate alone). Applied once, in one transaction, under an advisory
-- lock (PostgresWatchStore.Migrate). The same rules as Schema.sql for SQLite: events are append-only
-- (UPDATE, DELETE and TRUNCATE refused by triggers, whatever connection they come from); package
-- state and the outbox change, but a finished outbox row is final and no outbox row is removed.
CREATE TABLE vouch_watch.meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE vouch_watch.events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    code TEXT NOT NULL,
    package TEXT NOT NULL,
    version TEXT NOT NULL,
    previous_version TEXT,
    severity TEXT NOT NULL CHECK (severity IN ('error', 'warn', 'info')),
    rule TEXT,
    detail TEXT NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL
);

CREATE FUNCTION vouch_watch.events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END;
$$;
CREATE TRIGGER events_no_change BEFORE UPDATE OR DELETE ON vouch_watch.events FOR EACH ROW EXECUTE FUNCTION vouch_watch.events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON vouch_watch.events FOR EACH STATEMENT EXECUTE FUNCTION vouch_watch.events_append_only();

CREATE TABLE vouch_watch.package_state (
    package TEXT PRIMARY KEY,
    revision BIGINT NOT NULL,
    state TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE vouch_watch.outbox (
    id TEXT PRIMARY KEY,
    first_seq BIGINT NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ,
    delivered_at TIMESTAMPTZ,
    gave_up_at TIMESTAMPTZ,
    last_error TEXT
);
CREATE INDEX outbox_due ON vouch_watch.outbox (next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;

CREATE FUNCTION vouch_watch.outbox_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'outbox rows are never deleted';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id OR NEW.first_seq IS DISTINCT FROM OLD.first_seq OR NEW.body IS DISTINCT FROM OLD.body THEN
        RAISE EXCEPTION 'an outbox body never changes';
    END IF;
    IF OLD.delivered_at IS NOT NULL OR OLD.gave_up_at IS NOT NULL THEN
        RAISE EXCEPTION 'a finished delivery is final';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER outbox_guard BEFORE UPDATE OR DELETE ON vouch_watch.outbox FOR EACH ROW EXECUTE FUNCTION vouch_watch.outbox_guard();
CREATE TRIGGER outbox_no_truncate BEFORE TRUNCATE ON vouch_watch.outbox FOR EACH STATEMENT EXECUTE FUNCTION vouch_watch.outbox_guard();
