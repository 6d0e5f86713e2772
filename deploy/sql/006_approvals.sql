-- Approvals of a unit's figures of one data set for one period, at a level (1 district, 2 province).
-- A unit is its code plus the first day it was in force: codes were reused by later hierarchy
-- versions, and an approval of the old commune must not lock the new one. Withdrawal keeps the row
-- (who, when, why); at most one approval of the same figures at the same level is in force.

CREATE TABLE IF NOT EXISTS approvals (
    approval_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id         text        NOT NULL,
    programme_id      text        NOT NULL,
    data_set          text        NOT NULL,
    unit_code         text        NOT NULL,
    unit_valid_from   date        NOT NULL,
    period            text        NOT NULL,
    level             smallint    NOT NULL CHECK (level IN (1, 2)),
    approved_by       text        NOT NULL,
    approved_at       timestamptz NOT NULL DEFAULT now(),
    comment           text        NOT NULL DEFAULT '',
    withdrawn_by      text,
    withdrawn_at      timestamptz,
    withdrawal_reason text,
    -- Withdrawn means all three are set, and a withdrawal says why.
    CONSTRAINT approvals_withdrawal_complete CHECK (
        (withdrawn_at IS NULL AND withdrawn_by IS NULL AND withdrawal_reason IS NULL)
        OR (withdrawn_at IS NOT NULL AND withdrawn_by IS NOT NULL AND length(btrim(withdrawal_reason)) > 0))
);

CREATE UNIQUE INDEX IF NOT EXISTS approvals_one_in_force
    ON approvals (tenant_id, programme_id, data_set, unit_code, unit_valid_from, period, level)
    WHERE withdrawn_at IS NULL;

CREATE INDEX IF NOT EXISTS approvals_tenant ON approvals (tenant_id, programme_id, approval_id);

-- An approval is history: it is withdrawn, never deleted.
CREATE OR REPLACE FUNCTION approvals_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'approvals are withdrawn, not deleted: % is not allowed', TG_OP;
END;
$$;

DROP TRIGGER IF EXISTS approvals_no_delete ON approvals;
CREATE TRIGGER approvals_no_delete
    BEFORE DELETE OR TRUNCATE ON approvals
    FOR EACH STATEMENT EXECUTE FUNCTION approvals_never_deleted();

-- The audit trail records approvals (6) and their withdrawals (7) beside submissions.
ALTER TABLE audit_trail DROP CONSTRAINT IF EXISTS audit_trail_action_check;
ALTER TABLE audit_trail ADD CONSTRAINT audit_trail_action_check CHECK (action BETWEEN 1 AND 7);
