-- The submission ledger: every accepted report, appended once, never changed.
-- Applied by the project's migration step (Aggregation.Storage.DatabaseMigrator); safe to re-run.

CREATE TABLE IF NOT EXISTS report_ledger (
    ledger_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id       text        NOT NULL,
    idempotency_key text        NOT NULL,
    payload_hash    text        NOT NULL,
    unit_code       text        NOT NULL,
    -- Numbered by the unit's grain, one activation at a time: a unit replays its reports in this order.
    unit_seq        bigint      NOT NULL,
    programme_id    text        NOT NULL,
    period          text        NOT NULL,
    reported_at     timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    source_system   text        NOT NULL,
    -- [{"e": element, "k": kind (0 number, 1 flag, 2 entities, 3 withdrawn), "n": number, "ids": [...]}]
    report_values   jsonb       NOT NULL
);

-- A retried report is a duplicate, never a second row; a key reused with another payload is refused.
CREATE UNIQUE INDEX IF NOT EXISTS report_ledger_tenant_key ON report_ledger (tenant_id, idempotency_key);

-- Two activations of one unit writing at once (which Orleans prevents) would collide here instead of interleaving.
CREATE UNIQUE INDEX IF NOT EXISTS report_ledger_unit_seq ON report_ledger (tenant_id, unit_code, unit_seq);

-- The ledger is append-only for everyone, the application included.
CREATE OR REPLACE FUNCTION report_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'report_ledger is append-only: % is not allowed', TG_OP;
END;
$$;

DROP TRIGGER IF EXISTS report_ledger_no_update ON report_ledger;
CREATE TRIGGER report_ledger_no_update
    BEFORE UPDATE OR DELETE OR TRUNCATE ON report_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION report_ledger_append_only();
