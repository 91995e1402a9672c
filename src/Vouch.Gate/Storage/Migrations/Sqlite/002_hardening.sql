-- Issue 12: the audit log and approvals cannot be rewritten, one pending request per subject,
-- evidence keyed by the trust material that produced it and split into complete and incomplete.

-- Pending duplicates left by the old check-then-insert are closed (with their audit rows) so the
-- unique index below can be built.
INSERT INTO audit_log (at, actor, action, approval_id, name, version, rule, reason, expires_at)
SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'vouch-migration', 'denied', a.id, a.name, a.version, a.rule, 'duplicate pending request', NULL
FROM approvals a
WHERE a.status = 'pending' AND a.id NOT IN (SELECT MIN(id) FROM approvals WHERE status = 'pending' GROUP BY name, version, rule);
UPDATE approvals SET status = 'denied', decided_by = 'vouch-migration', decided_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), decision_reason = 'duplicate pending request'
WHERE status = 'pending' AND id NOT IN (SELECT MIN(id) FROM approvals WHERE status = 'pending' GROUP BY name, version, rule);

CREATE UNIQUE INDEX approvals_one_pending ON approvals (name, version, rule) WHERE status = 'pending';

-- INSERT OR REPLACE deletes the row it conflicts with without firing DELETE triggers (unless
-- recursive_triggers is on, which the gate sets on its own connections): refuse an insert that
-- names an id already present, whatever connection it comes from.
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER approvals_no_replace BEFORE INSERT ON approvals
WHEN (NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM approvals WHERE id = NEW.id))
  OR (NEW.status = 'pending' AND EXISTS (SELECT 1 FROM approvals WHERE status = 'pending' AND name = NEW.name AND version = NEW.version AND rule = NEW.rule))
BEGIN SELECT RAISE(ABORT, 'approvals are never replaced'); END;

CREATE TRIGGER approvals_insert_pending BEFORE INSERT ON approvals
WHEN NEW.status <> 'pending' OR NEW.decided_by IS NOT NULL OR NEW.decided_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'an approval starts pending'); END;

CREATE TRIGGER approvals_no_delete BEFORE DELETE ON approvals
BEGIN SELECT RAISE(ABORT, 'approvals are never deleted'); END;

-- An approval is decided once, from pending to granted or denied, by someone, and nothing else
-- about it changes.
CREATE TRIGGER approvals_decide_once BEFORE UPDATE ON approvals
WHEN OLD.status <> 'pending' OR NEW.status NOT IN ('granted', 'denied')
  OR NEW.id IS NOT OLD.id OR NEW.name IS NOT OLD.name OR NEW.version IS NOT OLD.version OR NEW.rule IS NOT OLD.rule
  OR NEW.requested_by IS NOT OLD.requested_by OR NEW.requested_at IS NOT OLD.requested_at OR NEW.request_reason IS NOT OLD.request_reason
  OR NEW.decided_by IS NULL OR NEW.decided_at IS NULL
BEGIN SELECT RAISE(ABORT, 'an approval is decided once: from pending to granted or denied'); END;

-- The database writes the audit row of every change to approvals itself, so no code path (or
-- hand-written SQL) can change an approval without leaving one.
CREATE TRIGGER approvals_audit_request AFTER INSERT ON approvals
BEGIN
    INSERT INTO audit_log (at, actor, action, approval_id, name, version, rule, reason, expires_at)
    VALUES (NEW.requested_at, NEW.requested_by, 'requested', NEW.id, NEW.name, NEW.version, NEW.rule, NEW.request_reason, NULL);
END;

CREATE TRIGGER approvals_audit_decide AFTER UPDATE ON approvals
BEGIN
    INSERT INTO audit_log (at, actor, action, approval_id, name, version, rule, reason, expires_at)
    VALUES (NEW.decided_at, NEW.decided_by, NEW.status, NEW.id, NEW.name, NEW.version, NEW.rule, NEW.decision_reason, NEW.expires_at);
END;

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
