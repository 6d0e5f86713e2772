-- Unit checkpoints: a unit's own values as of a ledger sequence, so that a starting unit replays
-- only the ledger entries after it. Not the system of record (the ledger is): a row lost or stale
-- costs a longer replay, never a figure. Written many units per statement, in rounds, and read all
-- at once when a silo starts. Applied by Aggregation.Storage.DatabaseMigrator; safe to re-run.
--
-- Checkpoints written before this table (Orleans grain storage, state 'unit-rollup-checkpoint-v1'
-- in orleans_storage) are not read any more: each unit replays its whole ledger once, then writes
-- its checkpoint here. Those old rows can be deleted at leisure.

CREATE TABLE IF NOT EXISTS unit_checkpoints (
    tenant_id   text        NOT NULL,
    unit_code   text        NOT NULL,
    -- Every ledger entry of the unit with unit_seq <= applied_seq is reflected in payload.
    applied_seq bigint      NOT NULL,
    -- The unit grain's compact binary encoding (Aggregation.Rollup.UnitCheckpoint), already dense:
    -- stored as is rather than compressed again by TOAST.
    payload     bytea       NOT NULL,
    written_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, unit_code)
);

ALTER TABLE unit_checkpoints ALTER COLUMN payload SET STORAGE EXTERNAL;
