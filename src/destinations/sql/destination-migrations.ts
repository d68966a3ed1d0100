import type { Migration } from './migrate.js';

/**
 * Tables every SQL destination keeps beside the data. The checkpoint lives here, not only in the control
 * table, because it must commit in the same transaction as the data it describes, wherever the control
 * plane is.
 */
export const DESTINATION_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'load checkpoints',
    statements: [
      `CREATE TABLE IF NOT EXISTS metadata.api_checkpoint (
        LoadKey VARCHAR PRIMARY KEY,
        Checkpoint VARCHAR NOT NULL,
        UpdatedAt TIMESTAMPTZ
      )`,
    ],
  },
  {
    version: 2,
    description: 'schema history',
    statements: [
      `CREATE SEQUENCE IF NOT EXISTS metadata.api_schema_history_seq`,
      `CREATE TABLE IF NOT EXISTS metadata.api_schema_history (
        ChangeId BIGINT DEFAULT nextval('metadata.api_schema_history_seq') PRIMARY KEY,
        ConfigId VARCHAR NOT NULL,
        ResourceName VARCHAR NOT NULL,
        TableName VARCHAR NOT NULL,
        ColumnName VARCHAR,
        ChangeKind VARCHAR NOT NULL,
        FromType VARCHAR,
        ToType VARCHAR,
        SourcePath VARCHAR,
        RunId VARCHAR,
        ChangedAt TIMESTAMPTZ
      )`,
    ],
  },
];
