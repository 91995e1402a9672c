-- Issue 12: the audit log and approvals cannot be rewritten, one pending request per subject,
-- evidence keyed by the trust material that produced it and split into complete and incomplete.
-- The role the gate connects with must not own these tables or be granted ALTER, DROP, TRIGGER or
-- TRUNCATE on them, nor be a superuser or hold session_replication_role rights (docs/gate.md):
-- those can disable or drop the triggers below.

CREATE FUNCTION vouch_utc_now() RETURNS TEXT LANGUAGE sql AS $$
    SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- Pending duplicates left by the old check-then-insert (issue 12: 5 rows from 20 concurrent
-- requests) are closed, with their audit rows, so the unique index below can be built.
INSERT INTO audit_log (at, actor, action, approval_id, name, version, rule, reason, expires_at)
SELECT vouch_utc_now(), 'vouch-migration', 'denied', a.id, a.name, a.version, a.rule, 'duplicate pending request', NULL
FROM approvals a
WHERE a.status = 'pending' AND a.id NOT IN (SELECT MIN(id) FROM approvals WHERE status = 'pending' GROUP BY name, version, rule);
UPDATE approvals SET status = 'denied', decided_by = 'vouch-migration', decided_at = vouch_utc_now(), decision_reason = 'duplicate pending request'
WHERE status = 'pending' AND id NOT IN (SELECT MIN(id) FROM approvals WHERE status = 'pending' GROUP BY name, version, rule);

CREATE UNIQUE INDEX approvals_one_pending ON approvals (name, version, rule) WHERE status = 'pending';

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE FUNCTION approvals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status <> 'pending' OR NEW.decided_by IS NOT NULL OR NEW.decided_at IS NOT NULL THEN
            RAISE EXCEPTION 'an approval starts pending';
        END IF;
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.status <> 'pending' OR NEW.status NOT IN ('granted', 'denied')
           OR NEW.id IS DISTINCT FROM OLD.id OR NEW.name IS DISTINCT FROM OLD.name OR NEW.version IS DISTINCT FROM OLD.version
           OR NEW.rule IS DISTINCT FROM OLD.rule OR NEW.requested_by IS DISTINCT FROM OLD.requested_by
           OR NEW.requested_at IS DISTINCT FROM OLD.requested_at OR NEW.request_reason IS DISTINCT FROM OLD.request_reason
           OR NEW.decided_by IS NULL OR NEW.decided_at IS NULL THEN
            RAISE EXCEPTION 'an approval is decided once: from pending to granted or denied';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'approvals are never deleted';
END;
$$;
CREATE TRIGGER approvals_guard BEFORE INSERT OR UPDATE OR DELETE ON approvals FOR EACH ROW EXECUTE FUNCTION approvals_guard();

CREATE FUNCTION approvals_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'approvals are never deleted';
END;
$$;
CREATE TRIGGER approvals_no_truncate BEFORE TRUNCATE ON approvals FOR EACH STATEMENT EXECUTE FUNCTION approvals_no_truncate();

-- The database writes the audit row of every change to approvals itself, so no code path (or
-- hand-written SQL) can change an approval without leaving one. Other gates are told at once.
CREATE FUNCTION approvals_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit_log (at, actor, action, approval_id, name, version, rule, reason, expires_at)
        VALUES (NEW.requested_at, NEW.requested_by, 'requested', NEW.id, NEW.name, NEW.version, NEW.rule, NEW.request_reason, NULL);
    ELSE
        INSERT INTO audit_log (at, actor, action, approval_id, name, version, rule, reason, expires_at)
        VALUES (NEW.decided_at, NEW.decided_by, NEW.status, NEW.id, NEW.name, NEW.version, NEW.rule, NEW.decision_reason, NEW.expires_at);
        PERFORM pg_notify('vouch_approvals', NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER approvals_audit AFTER INSERT OR UPDATE ON approvals FOR EACH ROW EXECUTE FUNCTION approvals_audit();

-- Evidence stored before this version may come from a verification that could not complete (one
-- transient 404 became permanent): it is dropped and verified again on demand.
DROP TABLE evidence;
CREATE TABLE evidence (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    integrity TEXT NOT NULL,
    trust TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('complete', 'incomplete')),
    report TEXT,
    verified_at TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    retry_at TEXT,
    error TEXT,
    PRIMARY KEY (name, version, integrity, trust),
    CHECK ((state = 'complete' AND report IS NOT NULL) OR (state = 'incomplete' AND retry_at IS NOT NULL))
);
CREATE INDEX evidence_subject ON evidence (name, version);
