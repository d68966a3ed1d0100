import type { Migration } from '../destinations/sql/migrate.js';

/**
 * The control plane's tables, created and upgraded by numbered migrations recorded in
 * `metadata.restlake_migrations`. Identifiers are unquoted on purpose: `SELECT ConfigId FROM
 * metadata.api_control_table` must work on DuckDB and PostgreSQL alike, as in the classic Databricks
 * control-table framework. The SQL is the common subset of both databases.
 */
export const CONTROL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'control and audit tables',
    statements: [
      `CREATE SEQUENCE IF NOT EXISTS metadata.api_control_seq`,
      `CREATE TABLE IF NOT EXISTS metadata.api_control_table (
        IndexNo BIGINT DEFAULT nextval('metadata.api_control_seq') PRIMARY KEY,
        ConfigId VARCHAR NOT NULL,
        ResourceName VARCHAR NOT NULL,
        APIName VARCHAR,
        APIEndpoint VARCHAR,
        LoadType VARCHAR NOT NULL,
        LoadStartTime TIMESTAMPTZ,
        LoadEndTime TIMESTAMPTZ,
        RequestPayload VARCHAR,
        AuthMethod VARCHAR,
        LastLoadTime TIMESTAMPTZ,
        TargetCatalog VARCHAR,
        TargetSchema VARCHAR,
        TargetTable VARCHAR,
        PrimaryColumn VARCHAR,
        DeltaColumn VARCHAR,
        TriggerScheduleTime TIMESTAMPTZ,
        TriggerFrequency VARCHAR,
        LoadStatus VARCHAR NOT NULL,
        LastJobRunId VARCHAR,
        LastUpdatedTime TIMESTAMPTZ,
        CreatedTime TIMESTAMPTZ,
        AttemptCount INTEGER NOT NULL DEFAULT 0,
        LeaseOwner VARCHAR,
        LeaseExpiresAt TIMESTAMPTZ,
        Checkpoint VARCHAR,
        ErrorMessage VARCHAR
      )`,
      `CREATE INDEX IF NOT EXISTS api_control_config_idx ON metadata.api_control_table (ConfigId, ResourceName)`,
      `CREATE SEQUENCE IF NOT EXISTS metadata.api_audit_seq`,
      `CREATE TABLE IF NOT EXISTS metadata.api_audit_table (
        AuditId BIGINT DEFAULT nextval('metadata.api_audit_seq') PRIMARY KEY,
        IndexNo BIGINT,
        ConfigId VARCHAR NOT NULL,
        ResourceName VARCHAR,
        APIName VARCHAR,
        APIEndpoint VARCHAR,
        LoadType VARCHAR,
        TargetCatalog VARCHAR,
        TargetSchema VARCHAR,
        TargetTable VARCHAR,
        SourceRowCount BIGINT,
        TargetRowCount BIGINT,
        TargetTotalRowCount BIGINT,
        RunId VARCHAR,
        Attempt INTEGER,
        LoadStatus VARCHAR NOT NULL,
        ErrorMessage VARCHAR,
        LoadStartTime TIMESTAMPTZ,
        LoadEndTime TIMESTAMPTZ,
        RunDuration DOUBLE PRECISION,
        LoggedAt TIMESTAMPTZ,
        LoadedBy VARCHAR,
        PageCount BIGINT,
        RequestCount BIGINT,
        RetryCount BIGINT,
        RateLimitedCount BIGINT,
        BytesFetched BIGINT,
        CastErrors VARCHAR,
        QuarantinedCount BIGINT,
        DiscardedColumns VARCHAR
      )`,
    ],
  },
  {
    version: 2,
    description: 'request log',
    statements: [
      // One row per HTTP attempt (or, past 10,000 per load attempt, per sampled attempt: Weight is how many
      // requests the row stands for). Written in bulk at the end of each load attempt.
      `CREATE TABLE IF NOT EXISTS metadata.api_request_log (
        IndexNo BIGINT,
        ConfigId VARCHAR NOT NULL,
        ResourceName VARCHAR,
        RunId VARCHAR,
        Attempt INTEGER,
        RequestedAt TIMESTAMPTZ,
        Method VARCHAR,
        Path VARCHAR,
        Status INTEGER,
        ErrorCode VARCHAR,
        LatencyMs DOUBLE PRECISION,
        Bytes BIGINT,
        RequestAttempt INTEGER,
        RateLimitWaitMs DOUBLE PRECISION,
        BackoffMs DOUBLE PRECISION,
        IsAuth BOOLEAN,
        Weight DOUBLE PRECISION
      )`,
      `CREATE INDEX IF NOT EXISTS api_request_log_config_idx ON metadata.api_request_log (ConfigId, RequestedAt)`,
    ],
  },
  {
    version: 3,
    description: 'audit: cast errors, quarantined records, discarded columns',
    // A fresh database has these columns from version 1: DuckDB cannot replay an ALTER TABLE of a table with a
    // nextval default from its WAL (a crash before the next checkpoint would leave the file unopenable), so
    // only databases created before them take the ALTER, and a no-op ALTER ... IF NOT EXISTS writes no WAL.
    statements: [
      `ALTER TABLE metadata.api_audit_table ADD COLUMN IF NOT EXISTS CastErrors VARCHAR`,
      `ALTER TABLE metadata.api_audit_table ADD COLUMN IF NOT EXISTS QuarantinedCount BIGINT`,
      `ALTER TABLE metadata.api_audit_table ADD COLUMN IF NOT EXISTS DiscardedColumns VARCHAR`,
    ],
  },
];
