-- Issue 17: signed reviews the gate stores and serves, so an organisation shares one set. Rows are
-- written only after the bundle verified against the version's tarball; they are never changed or
-- deleted (a review is withdrawn by distrusting its reviewer), and each one is in the audit log.
CREATE TABLE reviews (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

CREATE FUNCTION reviews_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO audit_log (at, actor, action, approval_id, name, version, rule, reason, expires_at)
        VALUES (NEW.submitted_at, NEW.submitted_by, 'review-added', NULL, NEW.name, NEW.version, 'reviews', 'reviewer ' || NEW.reviewer || ': ' || NEW.criteria, NULL);
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'reviews are never changed or deleted';
END;
$$;
CREATE TRIGGER reviews_audit AFTER INSERT ON reviews FOR EACH ROW EXECUTE FUNCTION reviews_guard();
CREATE TRIGGER reviews_no_change BEFORE UPDATE OR DELETE ON reviews FOR EACH ROW EXECUTE FUNCTION reviews_guard();
CREATE TRIGGER reviews_no_truncate BEFORE TRUNCATE ON reviews FOR EACH STATEMENT EXECUTE FUNCTION reviews_guard();
