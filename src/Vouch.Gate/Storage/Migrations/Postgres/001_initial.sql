-- Approvals, the append-only audit log and verified evidence (PostgreSQL); same tables and columns as SQLite.
CREATE TABLE approvals (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    approval_id BIGINT,
    name TEXT,
    version TEXT,
    rule TEXT,
    reason TEXT,
    expires_at TEXT
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE evidence (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    integrity TEXT NOT NULL,
    report TEXT NOT NULL,
    verified_at TEXT NOT NULL,
    PRIMARY KEY (name, version, integrity)
);
