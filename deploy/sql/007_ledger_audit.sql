-- A ledger row carries the audit detail of its report: who sent it, from where, and per value the
-- element, what became of it, the value it replaced, the value it wrote and why. Accepted reports no
-- longer add rows to audit_trail, which keeps rejections, approvals and every record written before
-- this script. The audit trail as read is the view audit_records: audit_trail plus the ledger rows'
-- records. Disk per report drops from ~3.4 KB (a ledger row with three indexes and ~4.3 audit rows
-- with four indexes each) to one ledger row with two indexes.
-- Safe to re-run, and written for a database that already holds reports: old rows keep answering.

-- audit_detail: one record per value, in recording order, records separated by U+001E and fields by
-- U+001F: action digit, element, old value, new value, reason (an empty field is NULL). NULL for rows
-- written before this script (their records are in audit_trail) and for replays without records.
ALTER TABLE report_ledger ADD COLUMN IF NOT EXISTS subject          text;
ALTER TABLE report_ledger ADD COLUMN IF NOT EXISTS authenticated_by text;
ALTER TABLE report_ledger ADD COLUMN IF NOT EXISTS peer             text;
ALTER TABLE report_ledger ADD COLUMN IF NOT EXISTS audit_detail     text;

-- Values as JSON text rather than jsonb: ~160 bytes less per 5-value row and no jsonb parsing on
-- insert; still readable with psql, and nothing queries inside them. Rewrites the table once.
DO $$
BEGIN
    IF (SELECT data_type FROM information_schema.columns WHERE table_name = 'report_ledger' AND column_name = 'report_values' AND table_schema = current_schema()) = 'jsonb' THEN
        ALTER TABLE report_ledger ALTER COLUMN report_values TYPE text USING report_values::text;
    END IF;
END $$;

-- Audit ids keep increasing in recording order across old and new records, so AfterId paging stays
-- right: ledger rows and new audit_trail rows draw from one sequence (the ledger's), a ledger row's
-- k-th record is (ledger_id << 10) + k (a report has at most 200 values, far below 1,024) and a new
-- audit_trail row is nextval << 10. The sequence starts past every id already handed out.
DO $$
DECLARE
    ids    text := pg_get_serial_sequence('report_ledger', 'ledger_id');
    floor_ bigint;
BEGIN
    SELECT greatest(
               (SELECT coalesce(max(ledger_id), 0) FROM report_ledger),
               (SELECT coalesce(max(audit_id), 0) FROM audit_trail) >> 10)
      INTO floor_;
    IF floor_ >= coalesce(pg_sequence_last_value(ids::regclass), 0) THEN
        PERFORM setval(ids, floor_ + 1, false);
    END IF;

    ALTER TABLE audit_trail ALTER COLUMN audit_id DROP IDENTITY IF EXISTS;
    EXECUTE format('ALTER TABLE audit_trail ALTER COLUMN audit_id SET DEFAULT (nextval(%L::regclass) << 10)', ids);
END $$;

-- Two indexes on the ledger: the unit's sequence (replays, and the clash of two activations) as the
-- primary key, and the idempotency key. The ledger_id index goes: nothing looks a row up by it.
DO $$
DECLARE name text;
BEGIN
    SELECT conname INTO name FROM pg_constraint
     WHERE conrelid = 'report_ledger'::regclass AND contype = 'p' AND conname <> 'report_ledger_unit_seq';
    IF name IS NOT NULL THEN
        EXECUTE format('ALTER TABLE report_ledger DROP CONSTRAINT %I', name);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'report_ledger'::regclass AND conname = 'report_ledger_unit_seq') THEN
        ALTER TABLE report_ledger ADD CONSTRAINT report_ledger_unit_seq PRIMARY KEY USING INDEX report_ledger_unit_seq;
    END IF;
END $$;

-- audit_trail is searched within a tenant's unit; subject and element are filtered within the tenant.
DROP INDEX IF EXISTS audit_trail_subject;
DROP INDEX IF EXISTS audit_trail_element;

-- The audit trail as it is read: the records of audit_trail and those carried by ledger rows.
CREATE OR REPLACE VIEW audit_records AS
SELECT audit_id, recorded_at, tenant_id, subject, authenticated_by, peer, source_system, idempotency_key,
       unit_code, programme_id, period, data_element, action, old_value, new_value, reason
  FROM audit_trail
UNION ALL
SELECT (l.ledger_id << 10) + r.k, l.recorded_at, l.tenant_id, l.subject, l.authenticated_by, l.peer, l.source_system, l.idempotency_key,
       l.unit_code, l.programme_id, l.period,
       nullif(split_part(r.rec, E'\x1f', 2), ''),
       split_part(r.rec, E'\x1f', 1)::smallint,
       nullif(split_part(r.rec, E'\x1f', 3), ''),
       nullif(split_part(r.rec, E'\x1f', 4), ''),
       nullif(split_part(r.rec, E'\x1f', 5), '')
  FROM report_ledger l
 CROSS JOIN LATERAL string_to_table(l.audit_detail, E'\x1e') WITH ORDINALITY AS r(rec, k)
 WHERE l.audit_detail IS NOT NULL;

-- An audit query pages through a tenant's records in id order: this index gives the ledger's rows
-- of a tenant in that order, so a page stops reading once it is full. Rows written before this
-- script have no records here (theirs are in audit_trail) and stay out of it.
CREATE INDEX IF NOT EXISTS report_ledger_audit_order ON report_ledger (tenant_id, ledger_id) WHERE audit_detail IS NOT NULL;
