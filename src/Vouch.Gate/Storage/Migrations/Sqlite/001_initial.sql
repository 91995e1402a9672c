-- Approvals, the append-only audit log and verified evidence (SQLite).
CREATE TABLE approvals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    rule TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'granted', 'denied')),
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    request_reason TEXT,
    decided_by TEXT,
    decided_at TEXT,
    decision_reason TEXT,
    expires_at TEXT
);
CREATE INDEX approvals_subject ON approvals (name, version, rule);
CREATE INDEX approvals_status ON approvals (status);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    approval_id INTEGER,
    name TEXT,
    version TEXT,
    rule TEXT,
    reason TEXT,
    expires_at TEXT
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE evidence (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    integrity TEXT NOT NULL,
    report TEXT NOT NULL,
    verified_at TEXT NOT NULL,
    PRIMARY KEY (name, version, integrity)
);
