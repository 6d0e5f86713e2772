-- The audit trail: who sent what, from where, what it changed and why it was refused.
-- Records of accepted reports are inserted with their ledger row, in the same transaction.

CREATE TABLE IF NOT EXISTS audit_trail (
    audit_id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id        text        NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    subject          text        NOT NULL,
    authenticated_by text        NOT NULL,
    peer             text        NOT NULL,
    source_system    text        NOT NULL,
    idempotency_key  text        NOT NULL,
    unit_code        text        NOT NULL,
    programme_id     text        NOT NULL,
    period           text        NOT NULL,
    -- NULL when a whole report was rejected.
    data_element     text,
    -- 1 accepted, 2 corrected, 3 withdrawn, 4 superseded, 5 rejected
    action           smallint    NOT NULL CHECK (action BETWEEN 1 AND 5),
    old_value        text,
    new_value        text,
    reason           text
);

CREATE INDEX IF NOT EXISTS audit_trail_unit ON audit_trail (tenant_id, unit_code, audit_id);
CREATE INDEX IF NOT EXISTS audit_trail_subject ON audit_trail (tenant_id, subject, audit_id);
CREATE INDEX IF NOT EXISTS audit_trail_element ON audit_trail (tenant_id, data_element, audit_id);

-- Append-only for the application, like the ledger.
CREATE OR REPLACE FUNCTION audit_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_trail is append-only: % is not allowed', TG_OP;
END;
$$;

DROP TRIGGER IF EXISTS audit_trail_no_update ON audit_trail;
CREATE TRIGGER audit_trail_no_update
    BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_trail
    FOR EACH STATEMENT EXECUTE FUNCTION audit_trail_append_only();
