-- A report to the ministry may go out as more than one payload: an ADX document, or a DHIS2 data
-- value set and its complete data set registrations, each posted to its own endpoint with its own
-- idempotency key and revisions. Reports recorded before are ADX documents.

ALTER TABLE ministry_reports ADD COLUMN IF NOT EXISTS payload text NOT NULL DEFAULT 'adx'
    CHECK (payload IN ('adx', 'dhis2-data-values', 'dhis2-registrations'));

-- The old uniqueness (without the payload) goes, whatever PostgreSQL named it.
DO $$
DECLARE name text;
BEGIN
    FOR name IN SELECT conname FROM pg_constraint WHERE conrelid = 'ministry_reports'::regclass AND contype = 'u' LOOP
        EXECUTE format('ALTER TABLE ministry_reports DROP CONSTRAINT %I', name);
    END LOOP;
END $$;

CREATE UNIQUE INDEX IF NOT EXISTS ministry_reports_revision ON ministry_reports (tenant_id, programme_id, unit_code, period, payload, revision);
