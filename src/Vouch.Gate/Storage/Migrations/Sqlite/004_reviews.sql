-- Issue 17: signed reviews the gate stores and serves, so an organisation shares one set. Rows are
-- written only after the bundle verified against the version's tarball; they are never changed or
-- deleted (a review is withdrawn by distrusting its reviewer), and each one is in the audit log.
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    sha512 TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    criteria TEXT NOT NULL,
    delta_from TEXT,
    bundle TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL
);
CREATE INDEX reviews_subject ON reviews (name, version);
CREATE TRIGGER reviews_no_update BEFORE UPDATE ON reviews BEGIN SELECT RAISE(ABORT, 'reviews are never changed'); END;
CREATE TRIGGER reviews_no_delete BEFORE DELETE ON reviews BEGIN SELECT RAISE(ABORT, 'reviews are never deleted'); END;
CREATE TRIGGER reviews_audit AFTER INSERT ON reviews
BEGIN
    INSERT INTO audit_log (at, actor, action, approval_id, name, version, rule, reason, expires_at)
    VALUES (NEW.submitted_at, NEW.submitted_by, 'review-added', NULL, NEW.name, NEW.version, 'reviews', 'reviewer ' || NEW.reviewer || ': ' || NEW.criteria, NULL);
END;
