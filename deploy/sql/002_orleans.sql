-- =============================================================================
-- 002_orleans.sql : database objects used by the Orleans ADO.NET providers
-- =============================================================================
--
-- What this is for
--   The silos use three Orleans ADO.NET providers against PostgreSQL
--   (ADO.NET invariant "Npgsql"):
--     * Microsoft.Orleans.Clustering.AdoNet   - cluster membership
--     * Microsoft.Orleans.Persistence.AdoNet  - grain state storage
--     * Microsoft.Orleans.Reminders.AdoNet    - reminder table
--   None of these packages ships or creates its schema. At start-up each
--   provider runs `SELECT QueryKey, QueryText FROM OrleansQuery` and then
--   executes the SQL text it finds under fixed keys. This script creates the
--   tables and helper functions behind those queries and (re)writes the
--   query texts themselves.
--
-- How it is applied
--   By the project's migration step (which also records that it ran).
--   The script is idempotent: every object is created with IF NOT EXISTS /
--   CREATE OR REPLACE and every query text is upserted, so running it again
--   is harmless and refreshes the query texts. It contains no transaction
--   control of its own and can run inside the migration's transaction.
--
-- Contract (written against Orleans 10.4.2, see the provider assemblies)
--   * Orleans binds parameters by name (@DeploymentId, @GrainIdHash, ...) and
--     reads result columns by name, so parameter names and the quoted column
--     aliases below must not change. Column order follows Orleans' reference
--     scripts as well (clear/delete results are read by position 0).
--   * Parameter types sent by Orleans: strings as text, ports/generations/
--     status/hashes/versions as int4, grain key parts N0/N1 as int8, reminder
--     periods in milliseconds as int4 (int8 only above int.MaxValue), dates
--     as UTC DateTime (timestamptz), grain payloads as bytea.
--   * Version / ETag columns are int4: Orleans parses the ETag with int.Parse
--     and reads versions with Convert.ToInt32.
--   * Queries that report success return exactly one column; a value > 0
--     means success, 0 means "lost the optimistic-concurrency race".
--   * Query texts use unqualified names, so the silos' search_path must
--     include the schema this script runs in (normally "public").
--
-- Requires PostgreSQL 15 or later (UNIQUE ... NULLS NOT DISTINCT).
-- =============================================================================


-- -----------------------------------------------------------------------------
-- Query catalogue read by all three providers.
-- The table and column names are fixed by Orleans (it issues the SELECT above
-- verbatim); unquoted identifiers fold to lower case, which Npgsql matches.
-- -----------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL,
    QueryText text        NOT NULL,
    CONSTRAINT orleans_query_pk PRIMARY KEY (QueryKey)
);


-- =============================================================================
-- 1. Clustering (membership)
-- =============================================================================

-- One row per cluster (Orleans "DeploymentId" = ClusterOptions.ClusterId).
-- "version" is the table-wide ETag of the membership protocol: every insert or
-- update of a silo row must present the version it read and increments it.
CREATE TABLE IF NOT EXISTS orleans_membership_version
(
    deployment_id text        NOT NULL,
    version       integer     NOT NULL DEFAULT 0,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orleans_membership_version_pk PRIMARY KEY (deployment_id)
);

-- One row per silo incarnation (address + port + generation).
-- status holds Orleans' SiloStatus enum (3 = Active, 6 = Dead).
-- suspect_times is Orleans' own "silo,date|silo,date" text, stored as is.
-- Times are kept to the millisecond, like the other Orleans back ends.
CREATE TABLE IF NOT EXISTS orleans_membership
(
    deployment_id   text           NOT NULL,
    address         varchar(45)    NOT NULL,
    port            integer        NOT NULL,
    generation      integer        NOT NULL,
    silo_name       text           NOT NULL,
    host_name       text           NOT NULL,
    status          integer        NOT NULL,
    proxy_port      integer        NULL,
    suspect_times   text           NULL,
    start_time      timestamptz(3) NOT NULL,
    i_am_alive_time timestamptz(3) NOT NULL,
    CONSTRAINT orleans_membership_pk
        PRIMARY KEY (deployment_id, address, port, generation),
    CONSTRAINT orleans_membership_version_fk
        FOREIGN KEY (deployment_id) REFERENCES orleans_membership_version (deployment_id)
);

-- Adds a silo row and bumps the cluster version in one atomic step.
-- Returns 1 on success, 0 when the caller's version is stale or the silo row
-- already exists. The version row is updated first: its row lock serialises
-- concurrent membership writers, and the re-check after the lock makes the
-- loser see the new version and return 0. A duplicate silo row raises
-- unique_violation, which is caught so that the inner block (and with it the
-- version bump) is rolled back. Deliberately no ASSERT: assertions can be
-- switched off with plpgsql.check_asserts.
CREATE OR REPLACE FUNCTION orleans_membership_insert(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_silo_name       text,
    p_host_name       text,
    p_status          integer,
    p_proxy_port      integer,
    p_start_time      timestamptz,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
BEGIN
    BEGIN
        UPDATE orleans_membership_version
           SET version = version + 1,
               changed_at = now()
         WHERE deployment_id = p_deployment_id
           AND version = p_version;
        IF NOT FOUND THEN
            RETURN 0;
        END IF;

        INSERT INTO orleans_membership
            (deployment_id, address, port, generation, silo_name, host_name,
             status, proxy_port, start_time, i_am_alive_time)
        VALUES
            (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name,
             p_status, p_proxy_port, p_start_time, p_i_am_alive_time);

        RETURN 1;
    EXCEPTION
        WHEN unique_violation THEN
            RETURN 0;
    END;
END
$fn$;

-- Changes a silo row's status / suspicions / heartbeat and bumps the cluster
-- version atomically. Returns 1 on success, 0 when the version is stale or
-- the silo row does not exist (then the version bump is rolled back).
CREATE OR REPLACE FUNCTION orleans_membership_update(
    p_deployment_id   text,
    p_address         text,
    p_port            integer,
    p_generation      integer,
    p_status          integer,
    p_suspect_times   text,
    p_i_am_alive_time timestamptz,
    p_version         integer)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
BEGIN
    BEGIN
        UPDATE orleans_membership_version
           SET version = version + 1,
               changed_at = now()
         WHERE deployment_id = p_deployment_id
           AND version = p_version;
        IF NOT FOUND THEN
            RETURN 0;
        END IF;

        UPDATE orleans_membership
           SET status = p_status,
               suspect_times = p_suspect_times,
               i_am_alive_time = p_i_am_alive_time
         WHERE deployment_id = p_deployment_id
           AND address = p_address
           AND port = p_port
           AND generation = p_generation;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'membership row not found' USING ERRCODE = 'no_data_found';
        END IF;

        RETURN 1;
    EXCEPTION
        WHEN no_data_found THEN
            RETURN 0;
    END;
END
$fn$;

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
-- Creates the cluster's version row if missing. Result: 1 if created, 0 if it
-- already existed (Orleans only logs the difference).
(
    'InsertMembershipVersionKey',
    $sql$
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id)
    VALUES (@DeploymentId)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1
)
SELECT count(*)::integer AS "Created" FROM created;
$sql$
),
-- Adds this silo's row (optimistic on the cluster version). Result: 1/0.
(
    'InsertMembershipKey',
    $sql$
SELECT orleans_membership_insert(
    @DeploymentId, @Address, @Port, @Generation, @SiloName, @HostName,
    @Status, @ProxyPort, @StartTime, @IAmAliveTime, @Version) AS "Inserted";
$sql$
),
-- Updates a silo row (optimistic on the cluster version). Result: 1/0.
(
    'UpdateMembershipKey',
    $sql$
SELECT orleans_membership_update(
    @DeploymentId, @Address, @Port, @Generation,
    @Status, @SuspectTimes, @IAmAliveTime, @Version) AS "Updated";
$sql$
),
-- Heartbeat: only the silo's own IAmAliveTime; must not touch the version.
(
    'UpdateIAmAlivetimeKey',
    $sql$
UPDATE orleans_membership
   SET i_am_alive_time = @IAmAliveTime
 WHERE deployment_id = @DeploymentId
   AND address = @Address
   AND port = @Port
   AND generation = @Generation;
$sql$
),
-- One silo row plus the cluster version. The outer join keeps the version row
-- when the silo has no row yet (Orleans then sees StartTime = NULL).
(
    'MembershipReadRowKey',
    $sql$
SELECT v.deployment_id     AS "DeploymentId",
       m.address           AS "Address",
       m.port              AS "Port",
       m.generation        AS "Generation",
       m.silo_name         AS "SiloName",
       m.host_name         AS "HostName",
       m.status            AS "Status",
       m.proxy_port        AS "ProxyPort",
       m.suspect_times     AS "SuspectTimes",
       m.start_time        AS "StartTime",
       m.i_am_alive_time   AS "IAmAliveTime",
       v.version           AS "Version"
  FROM orleans_membership_version AS v
  LEFT JOIN orleans_membership AS m
         ON m.deployment_id = v.deployment_id
        AND m.address = @Address
        AND m.port = @Port
        AND m.generation = @Generation
 WHERE v.deployment_id = @DeploymentId;
$sql$
),
-- All silo rows of the cluster plus the cluster version (same shape as above;
-- a cluster without silos still yields one row carrying the version).
(
    'MembershipReadAllKey',
    $sql$
SELECT v.deployment_id     AS "DeploymentId",
       m.address           AS "Address",
       m.port              AS "Port",
       m.generation        AS "Generation",
       m.silo_name         AS "SiloName",
       m.host_name         AS "HostName",
       m.status            AS "Status",
       m.proxy_port        AS "ProxyPort",
       m.suspect_times     AS "SuspectTimes",
       m.start_time        AS "StartTime",
       m.i_am_alive_time   AS "IAmAliveTime",
       v.version           AS "Version"
  FROM orleans_membership_version AS v
  LEFT JOIN orleans_membership AS m
         ON m.deployment_id = v.deployment_id
 WHERE v.deployment_id = @DeploymentId;
$sql$
),
-- Gateways for clients: silos in the requested status (Orleans passes
-- Active) that expose a gateway port.
(
    'GatewaysQueryKey',
    $sql$
SELECT address    AS "Address",
       proxy_port AS "ProxyPort",
       generation AS "Generation"
  FROM orleans_membership
 WHERE deployment_id = @DeploymentId
   AND status = @Status
   AND proxy_port > 0;
$sql$
),
-- Removes a whole cluster (used by tests/tooling): silo rows, then version.
(
    'DeleteMembershipTableEntriesKey',
    $sql$
DELETE FROM orleans_membership WHERE deployment_id = @DeploymentId;
DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId;
$sql$
),
-- Required key, bulk clean-up of defunct silos older than @IAmAliveTime.
-- Orleans 10.4.2 only runs it when CleanupDefunctSiloEntryKey (below) is
-- absent. Conservative: only Dead rows with no recorded suspicions whose
-- start and last heartbeat are both before the cut-off.
(
    'CleanupDefunctSiloEntriesKey',
    $sql$
DELETE FROM orleans_membership
 WHERE deployment_id = @DeploymentId
   AND status = 6
   AND start_time < @IAmAliveTime
   AND i_am_alive_time < @IAmAliveTime
   AND COALESCE(suspect_times, '') = '';
$sql$
),
-- Optional key used by Orleans 10.4.x instead of the bulk query: Orleans picks
-- the expired Dead rows itself and deletes each one only if the row still has
-- exactly the values it read (no concurrent change). Never bumps the version.
(
    'CleanupDefunctSiloEntryKey',
    $sql$
DELETE FROM orleans_membership
 WHERE deployment_id = @DeploymentId
   AND address = @Address
   AND port = @Port
   AND generation = @Generation
   AND status = 6
   AND start_time = @StartTime
   AND i_am_alive_time = @IAmAliveTime
   AND COALESCE(suspect_times, '') = COALESCE(@SuspectTimes, '');
$sql$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;


-- =============================================================================
-- 2. Grain state storage
-- =============================================================================

-- One row per (service, state name, grain key). Orleans supplies the hashes
-- (grain_id_hash, grain_type_hash) and the key parts: N0/N1 carry integer or
-- GUID keys, grain_id_extension carries string keys or key extensions (NULL
-- when there is none). grain_type is the name Orleans passes as "grain type"
-- (the state name in Orleans 7+). payload is NULL after a clear (the row and
-- its version are kept so the grain's ETag stays valid).
-- version is the grain state's ETag: 1 on first write, +1 on every change.
CREATE TABLE IF NOT EXISTS orleans_storage
(
    grain_id_hash      integer      NOT NULL,
    grain_type_hash    integer      NOT NULL,
    service_id         text         NOT NULL,
    grain_id_n0        bigint       NOT NULL,
    grain_id_n1        bigint       NOT NULL,
    grain_type         varchar(512) NOT NULL,
    grain_id_extension varchar(512) NULL,
    payload            bytea        NULL,
    version            integer      NOT NULL,
    modified_on        timestamptz  NOT NULL DEFAULT now()
);

-- Identity of a state row; serves every lookup (hash columns first) and lets
-- concurrent first writes of the same grain collide instead of duplicating.
-- NULLS NOT DISTINCT makes "no extension" a single value.
CREATE UNIQUE INDEX IF NOT EXISTS orleans_storage_grain_ux
    ON orleans_storage (grain_id_hash, grain_type_hash, service_id,
                        grain_id_n0, grain_id_n1, grain_type, grain_id_extension)
    NULLS NOT DISTINCT;

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
-- Reads one grain state. No row = never written; NULL payload = cleared.
(
    'ReadFromStorageKey',
    $sql$
SELECT payload     AS "PayloadBinary",
       modified_on AS "ModifiedOn",
       version     AS "Version"
  FROM orleans_storage
 WHERE grain_id_hash = @GrainIdHash
   AND grain_type_hash = @GrainTypeHash
   AND service_id = @ServiceId
   AND grain_id_n0 = @GrainIdN0
   AND grain_id_n1 = @GrainIdN1
   AND grain_type = @GrainTypeString
   AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString;
$sql$
),
-- Writes a grain state with optimistic concurrency on @GrainStateVersion:
--   * version given: update only if the stored version still equals it;
--   * no version (never read a row): insert version 1, unless a row appeared
--     meanwhile (unique index -> DO NOTHING).
-- Returns the new version, or no row when the ETag was stale; Orleans then
-- throws InconsistentStateException.
(
    'WriteToStorageKey',
    $sql$
WITH updated AS (
    UPDATE orleans_storage
       SET payload = @PayloadBinary,
           version = version + 1,
           modified_on = now()
     WHERE @GrainStateVersion IS NOT NULL
       AND grain_id_hash = @GrainIdHash
       AND grain_type_hash = @GrainTypeHash
       AND service_id = @ServiceId
       AND grain_id_n0 = @GrainIdN0
       AND grain_id_n1 = @GrainIdN1
       AND grain_type = @GrainTypeString
       AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
       AND version = @GrainStateVersion
    RETURNING version
), inserted AS (
    INSERT INTO orleans_storage
        (grain_id_hash, grain_type_hash, service_id, grain_id_n0, grain_id_n1,
         grain_type, grain_id_extension, payload, version, modified_on)
    SELECT @GrainIdHash, @GrainTypeHash, @ServiceId, @GrainIdN0, @GrainIdN1,
           @GrainTypeString, @GrainIdExtensionString, @PayloadBinary, 1, now()
     WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version
)
SELECT version AS "NewGrainStateVersion" FROM updated
UNION ALL
SELECT version FROM inserted;
$sql$
),
-- Clears a grain state (default ClearStateAsync): payload set to NULL, row
-- and version kept and incremented. Returns the new version in the first
-- column, or no row when the ETag was stale.
(
    'ClearStorageKey',
    $sql$
UPDATE orleans_storage
   SET payload = NULL,
       version = version + 1,
       modified_on = now()
 WHERE grain_id_hash = @GrainIdHash
   AND grain_type_hash = @GrainTypeHash
   AND service_id = @ServiceId
   AND grain_id_n0 = @GrainIdN0
   AND grain_id_n1 = @GrainIdN1
   AND grain_type = @GrainTypeString
   AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
   AND version = @GrainStateVersion
RETURNING version AS "NewGrainStateVersion";
$sql$
),
-- Used instead of ClearStorageKey when AdoNetGrainStorageOptions
-- .DeleteStateOnClear = true: deletes the row. Returns version + 1 so that
-- Orleans sees a changed version (it then resets the ETag to null), or no
-- row when the ETag was stale.
(
    'DeleteStorageKey',
    $sql$
DELETE FROM orleans_storage
 WHERE grain_id_hash = @GrainIdHash
   AND grain_type_hash = @GrainTypeHash
   AND service_id = @ServiceId
   AND grain_id_n0 = @GrainIdN0
   AND grain_id_n1 = @GrainIdN1
   AND grain_type = @GrainTypeString
   AND grain_id_extension IS NOT DISTINCT FROM @GrainIdExtensionString
   AND version = @GrainStateVersion
RETURNING version + 1 AS "NewGrainStateVersion";
$sql$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;


-- =============================================================================
-- 3. Reminders
-- =============================================================================

-- One row per (service, grain, reminder name). grain_id is GrainId.ToString();
-- grain_hash is the grain's uniform hash (uint stored as signed int4), used
-- by the reminder service to load the hash range a silo owns. period is in
-- milliseconds. version is the reminder's ETag (0 on creation, +1 on upsert).
CREATE TABLE IF NOT EXISTS orleans_reminders
(
    service_id    text           NOT NULL,
    grain_id      text           NOT NULL,
    reminder_name text           NOT NULL,
    start_time    timestamptz(3) NOT NULL,
    period        bigint         NOT NULL,
    grain_hash    integer        NOT NULL,
    version       integer        NOT NULL,
    CONSTRAINT orleans_reminders_pk PRIMARY KEY (service_id, grain_id, reminder_name)
);

-- Range scans by hash (ReadRangeRows1Key / ReadRangeRows2Key).
CREATE INDEX IF NOT EXISTS orleans_reminders_hash_ix
    ON orleans_reminders (service_id, grain_hash);

INSERT INTO OrleansQuery (QueryKey, QueryText)
VALUES
-- Creates or replaces a reminder; returns its new version (ETag).
(
    'UpsertReminderRowKey',
    $sql$
INSERT INTO orleans_reminders AS r
    (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES
    (@ServiceId, @GrainId, @ReminderName, @StartTime, @Period, @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
   SET start_time = EXCLUDED.start_time,
       period = EXCLUDED.period,
       grain_hash = EXCLUDED.grain_hash,
       version = r.version + 1
RETURNING r.version AS "Version";
$sql$
),
-- All reminders of one grain.
(
    'ReadReminderRowsKey',
    $sql$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
  FROM orleans_reminders
 WHERE service_id = @ServiceId
   AND grain_id = @GrainId;
$sql$
),
-- One reminder of one grain.
(
    'ReadReminderRowKey',
    $sql$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
  FROM orleans_reminders
 WHERE service_id = @ServiceId
   AND grain_id = @GrainId
   AND reminder_name = @ReminderName;
$sql$
),
-- Hash range (BeginHash, EndHash] when it does not wrap around
-- (Orleans picks this key when (int)BeginHash < (int)EndHash).
(
    'ReadRangeRows1Key',
    $sql$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
  FROM orleans_reminders
 WHERE service_id = @ServiceId
   AND grain_hash > @BeginHash
   AND grain_hash <= @EndHash;
$sql$
),
-- Hash range that wraps around the end of the ring: (BeginHash, max] plus
-- [min, EndHash].
(
    'ReadRangeRows2Key',
    $sql$
SELECT grain_id      AS "GrainId",
       reminder_name AS "ReminderName",
       start_time    AS "StartTime",
       period        AS "Period",
       version       AS "Version"
  FROM orleans_reminders
 WHERE service_id = @ServiceId
   AND (grain_hash > @BeginHash OR grain_hash <= @EndHash);
$sql$
),
-- Deletes one reminder if its version still matches the caller's ETag.
-- Result: number of rows deleted (1 = success, 0 = stale ETag / gone).
(
    'DeleteReminderRowKey',
    $sql$
WITH removed AS (
    DELETE FROM orleans_reminders
     WHERE service_id = @ServiceId
       AND grain_id = @GrainId
       AND reminder_name = @ReminderName
       AND version = @Version
    RETURNING 1
)
SELECT count(*)::integer AS "Deleted" FROM removed;
$sql$
),
-- Deletes every reminder of the service (used by tests/tooling).
(
    'DeleteReminderRowsKey',
    $sql$
DELETE FROM orleans_reminders WHERE service_id = @ServiceId;
$sql$
)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
