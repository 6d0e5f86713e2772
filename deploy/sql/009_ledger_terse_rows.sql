-- A ledger row in fewer bytes: its values in a terse text form and its audit records pointing at
-- those values instead of repeating them. An accepted commune report's row (4.3 values on average)
-- was ~580 bytes, ~190 of them its values as JSON and ~130 its audit detail, which repeated each
-- element and number; now ~375, with ~110 of values and ~9 of audit detail.
-- Rows already written keep their form and read the same (nothing is rewritten): the application
-- reads both forms of report_values, and the function below reads both forms of audit_detail.
-- Safe to re-run: it only (re)defines a function, a view and column comments.

-- report_values (text), read by the application (Aggregation.Storage.LedgerValues):
--   terse (since this script): values separated by U+001E; per value the element, U+001F, and its
--     token: the number in decimal for a number, 'f' and the number for a flag, 'w' for a withdrawn
--     value, 'e' for entities followed by each id in a field of its own (U+001F before each);
--   JSON (rows written before, and values the terse form cannot hold, such as an element containing
--     a separator): [{"e": element, "k": kind (0 number, 1 flag, 2 entities, 3 withdrawn), "n": number, "ids": [...]}].
--   Text starting with '[' is JSON.
--
-- audit_detail: one record per value, in recording order, records separated by U+001E and fields by
-- U+001F, an empty field being NULL (Aggregation.Storage.LedgerAudit). A record has five fields
-- (action digit, element, old value, new value, reason: every record written by 007) or, since this
-- script, one to three: the action digit followed by the 1-based position of the row's value it
-- records (nothing when that is the record's own position), then the old value and the reason, with
-- trailing empty fields left out; its element is that value's element and its new value that value
-- as the audit trail shows it (a number as itself, a flag as yes or no, entities as "count: id,id",
-- nothing for a withdrawn value). The application points a record at a value only when that text
-- is the record's new value, so the records read back exactly as they were written. A first-time
-- 5-value report's detail is '1' U+001E '1' U+001E '1' U+001E '1' U+001E '1'.

-- A ledger row's audit records as the audit trail reads them: position k (its id is
-- (ledger_id << 10) + k), action, element, old value, new value, reason. One definition for the view
-- below and for Audit.QueryAudit; a plain SQL function, which PostgreSQL inlines into the query.
CREATE OR REPLACE FUNCTION ledger_audit_records(report_values text, audit_detail text)
RETURNS TABLE (k bigint, action smallint, data_element text, old_value text, new_value text, reason text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
SELECT r.k,
       left(r.f[1], 1)::smallint,
       CASE WHEN r.whole THEN nullif(r.f[2], '') ELSE r.v[1] END,
       nullif(CASE WHEN r.whole THEN r.f[3] ELSE r.f[2] END, ''),
       CASE WHEN r.whole THEN nullif(r.f[4], '')
            -- The value as the audit trail describes it (LedgerValues.Describe): entities as their
            -- count and ids, a flag as yes or no, nothing for a withdrawn value, a number as itself.
            ELSE CASE left(r.v[2], 1)
                     WHEN 'e' THEN (cardinality(r.v) - 2)::text || ': ' || array_to_string(r.v[3:], ',')
                     WHEN 'f' THEN CASE WHEN substr(r.v[2], 2)::bigint <> 0 THEN 'yes' ELSE 'no' END
                     WHEN 'w' THEN NULL
                     ELSE r.v[2]
                 END
       END,
       nullif(CASE WHEN r.whole THEN r.f[5] ELSE r.f[3] END, '')
  FROM (SELECT t.k, s.f, cardinality(s.f) = 5 AS whole,
               CASE WHEN cardinality(s.f) < 5
                    THEN string_to_array(split_part(report_values, E'\x1e', coalesce(nullif(substr(s.f[1], 2), '')::int, t.k::int)), E'\x1f') END AS v
          FROM string_to_table(audit_detail, E'\x1e') WITH ORDINALITY AS t(rec, k)
         CROSS JOIN LATERAL (SELECT string_to_array(t.rec, E'\x1f')) AS s(f)) r
$$;

-- The audit trail as it is read: the records of audit_trail and those carried by ledger rows, in
-- either form. Same columns and answers as 007's view.
CREATE OR REPLACE VIEW audit_records AS
SELECT audit_id, recorded_at, tenant_id, subject, authenticated_by, peer, source_system, idempotency_key,
       unit_code, programme_id, period, data_element, action, old_value, new_value, reason
  FROM audit_trail
UNION ALL
SELECT (l.ledger_id << 10) + r.k, l.recorded_at, l.tenant_id, l.subject, l.authenticated_by, l.peer, l.source_system, l.idempotency_key,
       l.unit_code, l.programme_id, l.period, r.data_element, r.action, r.old_value, r.new_value, r.reason
  FROM report_ledger l
 CROSS JOIN LATERAL ledger_audit_records(l.report_values, l.audit_detail) AS r
 WHERE l.audit_detail IS NOT NULL;

-- The forms, where psql's \d+ shows them (001 and 007 describe the forms of their time; applied
-- scripts are not edited).
COMMENT ON COLUMN report_ledger.report_values IS
    'Terse: values separated by U+001E, per value element U+001F token (number; f+number flag; w withdrawn; e then U+001F-separated ids). Text starting with [ is JSON (rows before schema 009). See 009_ledger_terse_rows.sql.';
COMMENT ON COLUMN report_ledger.audit_detail IS
    'Audit records separated by U+001E, fields by U+001F: five fields (action, element, old, new, reason) or, since 009, action+value position, old, reason pointing at a value of report_values. Read with ledger_audit_records(). NULL: records in audit_trail.';
