import { RestlakeError } from '../core/errors.js';
import type { SqlClient, SqlValue } from '../destinations/sql/client.js';
import { migrate, withLock } from '../destinations/sql/migrate.js';
import { CONTROL_MIGRATIONS } from './migrations.js';
import {
  type AuditStatus,
  assertTransition,
  type LoadStatus,
  type LoadType,
  plansNext,
  TRANSITIONS,
  type Transition,
} from './state-machine.js';

/** A row of metadata.api_control_table. */
export interface ControlRow {
  IndexNo: number;
  ConfigId: string;
  ResourceName: string;
  APIName: string | null;
  APIEndpoint: string | null;
  LoadType: LoadType;
  LoadStartTime: Date | null;
  LoadEndTime: Date | null;
  RequestPayload: string | null;
  AuthMethod: string | null;
  LastLoadTime: Date | null;
  TargetCatalog: string | null;
  TargetSchema: string | null;
  TargetTable: string | null;
  PrimaryColumn: string | null;
  DeltaColumn: string | null;
  TriggerScheduleTime: Date | null;
  TriggerFrequency: string | null;
  LoadStatus: LoadStatus;
  LastJobRunId: string | null;
  LastUpdatedTime: Date | null;
  CreatedTime: Date | null;
  AttemptCount: number;
  LeaseOwner: string | null;
  LeaseExpiresAt: Date | null;
  Checkpoint: string | null;
  ErrorMessage: string | null;
}

/** A row of metadata.api_audit_table: one per attempt. */
export interface AuditRow {
  IndexNo: number;
  ConfigId: string;
  ResourceName: string;
  APIName: string | null;
  APIEndpoint: string | null;
  LoadType: LoadType;
  TargetCatalog: string | null;
  TargetSchema: string | null;
  TargetTable: string | null;
  SourceRowCount: number;
  TargetRowCount: number;
  TargetTotalRowCount: number | null;
  RunId: string;
  Attempt: number;
  LoadStatus: AuditStatus;
  ErrorMessage: string | null;
  LoadStartTime: Date;
  LoadEndTime: Date;
  RunDuration: number;
  LoggedAt: Date;
  LoadedBy: string;
  PageCount: number;
  RequestCount: number;
  RetryCount: number;
  RateLimitedCount: number;
  BytesFetched: number;
  /** Values that could not be cast, per `table.column` (JSON), whatever `on_cast_error` did with them. */
  CastErrors: string | null;
  /** Records moved to the `<table>__rejected` table. */
  QuarantinedCount: number;
  /** Under `schema_contract: discard_columns`: values dropped per new `table.column` (JSON). */
  DiscardedColumns: string | null;
}

/** The descriptive columns of a resource's loads, refreshed from the pipeline file on every plan and claim. */
export interface LoadSpec {
  ConfigId: string;
  ResourceName: string;
  APIName: string;
  APIEndpoint: string;
  RequestPayload: string;
  AuthMethod: string;
  TargetCatalog: string;
  TargetSchema: string;
  TargetTable: string;
  PrimaryColumn: string | null;
  DeltaColumn: string | null;
  TriggerFrequency: string | null;
  /** Where an incremental resource's first load starts; undefined for full-refresh resources. */
  incrementalStart: Date | undefined;
  /** How far before the high-water mark an incremental load starts again (late-arriving records). */
  lagMs: number;
  /** Where every load of a windowed full-refresh resource starts (`window.start`). */
  windowStart?: Date | undefined;
  /** When the next scheduled load is due after `from` (undefined: whenever asked). */
  nextTrigger(from: Date): Date | undefined;
}

const SPEC_COLUMNS = [
  'APIName',
  'APIEndpoint',
  'RequestPayload',
  'AuthMethod',
  'TargetCatalog',
  'TargetSchema',
  'TargetTable',
  'PrimaryColumn',
  'DeltaColumn',
  'TriggerFrequency',
] as const;

const CONTROL_COLUMNS: readonly (keyof ControlRow)[] = [
  'IndexNo',
  'ConfigId',
  'ResourceName',
  'LoadType',
  'LoadStartTime',
  'LoadEndTime',
  'LastLoadTime',
  'TriggerScheduleTime',
  'LoadStatus',
  'LastJobRunId',
  'LastUpdatedTime',
  'CreatedTime',
  'AttemptCount',
  'LeaseOwner',
  'LeaseExpiresAt',
  'Checkpoint',
  'ErrorMessage',
  ...SPEC_COLUMNS,
];

// PostgreSQL folds unquoted names to lower case, DuckDB keeps them: aliasing every column gives both the same keys.
const SELECT_CONTROL = CONTROL_COLUMNS.map((c) => `${c} AS "${c}"`).join(', ');
const CONTROL = 'metadata.api_control_table';
const OPEN_STATUSES = `('PENDING', 'RUNNING', 'FAILED')`;
/** Rebuilds live beside the scheduled loads: they neither block planning nor are claimed, retried or followed. */
const SCHEDULED = `LoadType <> 'REBUILD'`;

const ts = (date: Date | null | undefined): SqlValue => (date ? date.toISOString() : null);

export interface ClaimOptions {
  owner: string;
  runId: string;
  leaseMs: number;
  now: Date;
  /** Only loads of these configs (and resources, as `config.resource` or `config`). */
  configIds?: readonly string[];
  /**
   * Only loads whose TriggerScheduleTime has come (workers), or RUNNING ones whose lease expired; `run` takes a
   * config's loads whenever asked.
   */
  dueOnly?: boolean;
  /**
   * Take over RUNNING loads of other owners whatever their lease says: right where the database admits one
   * process at a time (DuckDB), so any other owner has died.
   */
  takeOverOthers?: boolean;
  /** Take over RUNNING loads of these owners whatever their lease says: processes known to have died. */
  deadOwners?: readonly string[];
  /** Only loads planned up to this IndexNo: `run` does what was due when it started, not the loads it plans next. */
  maxIndexNo?: number;
  /** This load only (a rebuild claims the REBUILD row it inserted); otherwise rebuilds are never claimed. */
  indexNo?: number;
}

export interface Claim {
  row: ControlRow;
  /** The owner whose lease had expired when this claim took the load over (a crashed worker). */
  takenOverFrom: string | undefined;
}

/**
 * metadata.api_control_table and metadata.api_audit_table over any SqlClient. Every status change goes
 * through `#transition`, which applies one entry of the state machine as a guarded UPDATE.
 */
export class ControlStore {
  readonly sql: SqlClient;

  constructor(sql: SqlClient) {
    this.sql = sql;
  }

  async migrate(): Promise<number[]> {
    return migrate(this.sql, CONTROL_MIGRATIONS, 'control');
  }

  /**
   * Makes a load of each resource due now: inserts a PENDING row for a resource that has no open load
   * (PENDING, RUNNING or FAILED): FULL_LOAD the first time or for full-refresh resources, INCREMENTAL from the
   * last high-water mark otherwise. A PENDING load not yet due (TriggerScheduleTime NULL: the next load of a
   * pipeline without a schedule, which waits to be asked for) is made due now. Idempotent: planning twice plans
   * nothing twice. Returns the rows it inserted or made due.
   */
  async plan(specs: readonly LoadSpec[], now: Date): Promise<ControlRow[]> {
    const planned: ControlRow[] = [];
    for (const spec of specs) {
      // Two planners at once (two machines, or `plan` beside `run`) must not both find no open load and both
      // insert one: they take turns per resource.
      const key = `restlake.plan:${spec.ConfigId}.${spec.ResourceName}`;
      const row = await withLock(this.sql, key, async (tx) => {
        const open = await tx.query<{ IndexNo: number; LoadStatus: LoadStatus; asked: boolean }>(
          `SELECT IndexNo AS "IndexNo", LoadStatus AS "LoadStatus", TriggerScheduleTime IS NOT NULL AS "asked"
           FROM ${CONTROL} WHERE ConfigId = $1 AND ResourceName = $2 AND LoadStatus IN ${OPEN_STATUSES} AND ${SCHEDULED} LIMIT 1`,
          [spec.ConfigId, spec.ResourceName],
        );
        if (open[0]) {
          if (open[0].LoadStatus !== 'PENDING' || open[0].asked) return undefined;
          const [due] = await tx.query<ControlRow>(
            `UPDATE ${CONTROL} SET TriggerScheduleTime = CAST($2 AS TIMESTAMPTZ) WHERE IndexNo = $1
             AND TriggerScheduleTime IS NULL RETURNING ${SELECT_CONTROL}`,
            [open[0].IndexNo, ts(now)],
          );
          return due;
        }
        const [last] = await tx.query<{ LastLoadTime: Date | null }>(
          `SELECT LastLoadTime AS "LastLoadTime" FROM ${CONTROL}
           WHERE ConfigId = $1 AND ResourceName = $2 AND LoadStatus = 'SUCCESS' AND ${SCHEDULED} ORDER BY IndexNo DESC LIMIT 1`,
          [spec.ConfigId, spec.ResourceName],
        );
        return this.#insertNext(tx, spec, last ? (last.LastLoadTime ?? null) : undefined, now, undefined);
      });
      if (row) planned.push(row);
    }
    return planned;
  }

  /**
   * Inserts a load: a planned one (`after` undefined: due now), or the one after a load that succeeded
   * (`mark` is its high-water mark; undefined when there was none yet), due at the next schedule tick after
   * `after` (the previous trigger, not now, so a late run does not push every later run back), or not yet due
   * when the pipeline has no schedule.
   */
  async #insertNext(
    tx: SqlClient,
    spec: LoadSpec,
    mark: Date | null | undefined,
    now: Date,
    after: Date | undefined,
  ): Promise<ControlRow> {
    const incremental = spec.incrementalStart !== undefined;
    const firstLoad = mark === undefined;
    const loadType: LoadType = incremental && !firstLoad ? 'INCREMENTAL' : 'FULL_LOAD';
    const start = !incremental
      ? (spec.windowStart ?? null)
      : loadType === 'INCREMENTAL' && mark
        ? new Date(Math.max(spec.incrementalStart!.getTime(), mark.getTime() - spec.lagMs))
        : spec.incrementalStart!;
    const trigger = after ? spec.nextTrigger(after) : now;
    const values: SqlValue[] = [
      spec.ConfigId,
      spec.ResourceName,
      loadType,
      ts(start),
      ts(mark ?? null),
      ts(trigger),
      ts(now),
      ...SPEC_COLUMNS.map((c) => spec[c]),
    ];
    const [row] = await tx.query<ControlRow>(
      `INSERT INTO ${CONTROL} (ConfigId, ResourceName, LoadType, LoadStartTime, LastLoadTime, TriggerScheduleTime,
         LoadStatus, CreatedTime, LastUpdatedTime, AttemptCount, ${SPEC_COLUMNS.join(', ')})
       VALUES ($1, $2, $3, CAST($4 AS TIMESTAMPTZ), CAST($5 AS TIMESTAMPTZ), CAST($6 AS TIMESTAMPTZ),
         'PENDING', CAST($7 AS TIMESTAMPTZ), CAST($7 AS TIMESTAMPTZ), 0, ${SPEC_COLUMNS.map((_, i) => `$${i + 8}`).join(', ')})
       RETURNING ${SELECT_CONTROL}`,
      values,
    );
    return row!;
  }

  /**
   * Takes the oldest claimable load (PENDING, or RUNNING with an expired lease) and marks it RUNNING under a
   * lease. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets any number of workers claim at once without ever
   * taking the same row twice.
   */
  async claim(options: ClaimOptions): Promise<Claim | undefined> {
    const { now } = options;
    const params: SqlValue[] = [];
    const param = (value: SqlValue) => `$${params.push(value)}`;
    // Placeholders are created as they are used: both databases reject a parameter the SQL does not mention.
    let nowRef: string | undefined;
    const nowParam = () => (nowRef ??= `CAST(${param(ts(now))} AS TIMESTAMPTZ)`);
    const dead = () =>
      options.deadOwners?.length ? ` OR LeaseOwner IN (${options.deadOwners.map(param).join(', ')})` : '';
    const expired = options.takeOverOthers
      ? `LeaseOwner <> ${param(options.owner)}`
      : `(LeaseExpiresAt < ${nowParam()}${dead()})`;
    const filters: string[] = [`(LoadStatus = 'PENDING' OR (LoadStatus = 'RUNNING' AND ${expired}))`];
    if (options.configIds) {
      const list = options.configIds.map(param).join(', ');
      filters.push(`(ConfigId IN (${list}) OR ConfigId || '.' || ResourceName IN (${list}))`);
    }
    if (options.maxIndexNo !== undefined) filters.push(`IndexNo <= ${param(options.maxIndexNo)}`);
    filters.push(options.indexNo === undefined ? SCHEDULED : `IndexNo = ${param(options.indexNo)}`);
    if (options.dueOnly) filters.push(`(LoadStatus = 'RUNNING' OR TriggerScheduleTime <= ${nowParam()})`);
    const lock = this.sql.dialect.skipLocked ? ' FOR UPDATE SKIP LOCKED' : '';
    return this.sql.transaction(async (tx) => {
      const [candidate] = await tx.query<{
        IndexNo: number;
        LoadStatus: LoadStatus;
        LeaseOwner: string | null;
      }>(
        `SELECT IndexNo AS "IndexNo", LoadStatus AS "LoadStatus", LeaseOwner AS "LeaseOwner" FROM ${CONTROL}
         WHERE ${filters.join(' AND ')} ORDER BY IndexNo LIMIT 1${lock}`,
        params,
      );
      if (!candidate) return undefined;
      if (candidate.LoadStatus === 'RUNNING') await this.#auditAbandoned(tx, candidate, options.owner, now);
      const [row] = await tx.query<ControlRow>(
        `UPDATE ${CONTROL} SET LoadStatus = 'RUNNING', LeaseOwner = $2, LeaseExpiresAt = CAST($3 AS TIMESTAMPTZ),
           LastJobRunId = $4, AttemptCount = AttemptCount + 1, LastUpdatedTime = CAST($5 AS TIMESTAMPTZ),
           LoadEndTime = CASE WHEN LoadStartTime IS NULL THEN LoadEndTime ELSE COALESCE(LoadEndTime, CAST($5 AS TIMESTAMPTZ)) END
         WHERE IndexNo = $1 RETURNING ${SELECT_CONTROL}`,
        [
          candidate.IndexNo,
          options.owner,
          ts(new Date(now.getTime() + options.leaseMs)),
          options.runId,
          ts(now),
        ],
      );
      return {
        row: row!,
        takenOverFrom: candidate.LoadStatus === 'RUNNING' ? (candidate.LeaseOwner ?? 'unknown') : undefined,
      };
    });
  }

  /** Refreshes the descriptive columns of a claimed load from the pipeline file as it is now. */
  async describe(indexNo: number, spec: LoadSpec): Promise<void> {
    await this.sql.execute(
      `UPDATE ${CONTROL} SET ${SPEC_COLUMNS.map((c, i) => `${c} = $${i + 2}`).join(', ')} WHERE IndexNo = $1`,
      [indexNo, ...SPEC_COLUMNS.map((c) => spec[c])],
    );
  }

  /** Extends a lease; false when the lease was lost (expired and taken over), so the holder must stop. */
  async heartbeat(indexNo: number, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    const changed = await this.sql.execute(
      `UPDATE ${CONTROL} SET LeaseExpiresAt = CAST($3 AS TIMESTAMPTZ) WHERE IndexNo = $1 AND LeaseOwner = $2 AND LoadStatus = 'RUNNING'`,
      [indexNo, owner, ts(new Date(now.getTime() + leaseMs))],
    );
    return changed === 1;
  }

  /** Mirrors the destination's checkpoint into the control row, for people looking at the control table. */
  async recordCheckpoint(indexNo: number, owner: string, checkpoint: string): Promise<void> {
    await this.sql.execute(`UPDATE ${CONTROL} SET Checkpoint = $3 WHERE IndexNo = $1 AND LeaseOwner = $2`, [
      indexNo,
      owner,
      checkpoint,
    ]);
  }

  /**
   * RUNNING → SUCCESS, recording the high-water mark, and plans the next load in the same transaction
   * (none after a rebuild). Returns the planned row.
   */
  async succeed(
    row: ControlRow,
    owner: string,
    spec: LoadSpec,
    mark: Date | null,
    now: Date,
  ): Promise<ControlRow | undefined> {
    return this.sql.transaction(async (tx) => {
      await this.#transition(tx, 'succeed', row.IndexNo, owner, now, {
        LastLoadTime: ts(mark),
        ErrorMessage: null,
      });
      if (!plansNext(row.LoadType)) return undefined;
      return this.#insertNext(tx, spec, mark, now, row.TriggerScheduleTime ?? now);
    });
  }

  /** A PENDING REBUILD row for a resource, to be claimed by its IndexNo by the rebuild that inserted it. */
  async planRebuild(spec: LoadSpec, now: Date): Promise<ControlRow> {
    const [row] = await this.sql.query<ControlRow>(
      `INSERT INTO ${CONTROL} (ConfigId, ResourceName, LoadType, LoadStatus, CreatedTime, LastUpdatedTime, AttemptCount,
         ${SPEC_COLUMNS.join(', ')})
       VALUES ($1, $2, 'REBUILD', 'PENDING', CAST($3 AS TIMESTAMPTZ), CAST($3 AS TIMESTAMPTZ), 0,
         ${SPEC_COLUMNS.map((_, i) => `$${i + 4}`).join(', ')})
       RETURNING ${SELECT_CONTROL}`,
      [spec.ConfigId, spec.ResourceName, ts(now), ...SPEC_COLUMNS.map((c) => spec[c])],
    );
    return row!;
  }

  /** RUNNING → FAILED with the (already redacted) reason. */
  async fail(row: ControlRow, owner: string, message: string, now: Date): Promise<void> {
    await this.#transition(this.sql, 'fail', row.IndexNo, owner, now, { ErrorMessage: message });
  }

  /** RUNNING → PENDING: a worker stopping cleanly hands its load back, keeping the checkpoint. */
  async release(row: ControlRow, owner: string, now: Date): Promise<void> {
    await this.#transition(this.sql, 'release', row.IndexNo, owner, now, {});
  }

  /** FAILED → PENDING for every failed load of a config (or of `config.resource`). Returns how many. */
  async retry(configId: string, now: Date): Promise<number> {
    return this.sql.execute(
      `UPDATE ${CONTROL} SET LoadStatus = 'PENDING', LastUpdatedTime = CAST($2 AS TIMESTAMPTZ)
       WHERE LoadStatus = 'FAILED' AND ${SCHEDULED} AND (ConfigId = $1 OR ConfigId || '.' || ResourceName = $1)`,
      [configId, ts(now)],
    );
  }

  async #transition(
    sql: SqlClient,
    transition: Transition,
    indexNo: number,
    owner: string,
    now: Date,
    set: Record<string, SqlValue>,
  ): Promise<void> {
    const { from, to } = TRANSITIONS[transition];
    const assignments = Object.keys(set).map((column, i) =>
      column.endsWith('Time') ? `${column} = CAST($${i + 5} AS TIMESTAMPTZ)` : `${column} = $${i + 5}`,
    );
    const changed = await sql.execute(
      `UPDATE ${CONTROL} SET LoadStatus = $2, LastUpdatedTime = CAST($3 AS TIMESTAMPTZ), LeaseOwner = NULL,
         LeaseExpiresAt = NULL${assignments.map((a) => `, ${a}`).join('')}
       WHERE IndexNo = $1 AND LeaseOwner = $4 AND LoadStatus IN (${from.map((s) => `'${s}'`).join(', ')})`,
      [indexNo, to, ts(now), owner, ...Object.values(set)],
    );
    if (changed === 1) return;
    const [current] = await sql.query<{ LoadStatus: LoadStatus; LeaseOwner: string | null }>(
      `SELECT LoadStatus AS "LoadStatus", LeaseOwner AS "LeaseOwner" FROM ${CONTROL} WHERE IndexNo = $1`,
      [indexNo],
    );
    if (!current) throw new RestlakeError('CONTROL', `load ${indexNo} does not exist`);
    // Applying a transition a second time is not an error: the row is already where it should be.
    if (current.LoadStatus === to && current.LeaseOwner === null) return;
    assertTransition(transition, current.LoadStatus, indexNo);
    throw new RestlakeError(
      'LEASE_HELD',
      `load ${indexNo} is held by ${current.LeaseOwner ?? 'nobody'}, not by this process; its lease was taken over`,
      { kind: 'fatal' },
    );
  }

  /**
   * A process that dies mid-load writes no audit row of its own; the claim that takes its load over writes one
   * for it, in the same transaction, so the audit table shows every attempt.
   */
  async #auditAbandoned(
    tx: SqlClient,
    candidate: { IndexNo: number; LeaseOwner: string | null },
    owner: string,
    now: Date,
  ): Promise<void> {
    const previous = candidate.LeaseOwner ?? 'unknown';
    await tx.execute(
      `INSERT INTO metadata.api_audit_table (IndexNo, ConfigId, ResourceName, APIName, APIEndpoint, LoadType,
         TargetCatalog, TargetSchema, TargetTable, RunId, Attempt, LoadStatus, ErrorMessage, LoadStartTime,
         LoadEndTime, RunDuration, LoggedAt, LoadedBy)
       SELECT IndexNo, ConfigId, ResourceName, APIName, APIEndpoint, LoadType, TargetCatalog, TargetSchema,
         TargetTable, LastJobRunId, AttemptCount, CASE WHEN Checkpoint IS NULL THEN 'FAILED' ELSE 'PARTIAL' END,
         $2, LastUpdatedTime, CAST($3 AS TIMESTAMPTZ), NULL, CAST($3 AS TIMESTAMPTZ), $4
       FROM ${CONTROL} WHERE IndexNo = $1`,
      [
        candidate.IndexNo,
        `the process running this attempt (${previous}) stopped without finishing it (killed, crashed, or its lease expired); taken over by ${owner}`,
        ts(now),
        previous,
      ],
    );
  }

  async appendAudit(row: AuditRow): Promise<void> {
    const entries = Object.entries(row) as [string, unknown][];
    await this.sql.execute(
      `INSERT INTO metadata.api_audit_table (${entries.map(([k]) => k).join(', ')})
       VALUES (${entries.map(([k], i) => (k.endsWith('Time') || k === 'LoggedAt' ? `CAST($${i + 1} AS TIMESTAMPTZ)` : `$${i + 1}`)).join(', ')})`,
      entries.map(([, v]) => (v instanceof Date ? v.toISOString() : (v as SqlValue))),
    );
  }

  /** The latest scheduled load of a resource that succeeded (what a `replace` table holds). */
  async lastSuccess(configId: string, resource: string): Promise<ControlRow | undefined> {
    const [row] = await this.sql.query<ControlRow>(
      `SELECT ${SELECT_CONTROL} FROM ${CONTROL}
       WHERE ConfigId = $1 AND ResourceName = $2 AND LoadStatus = 'SUCCESS' AND ${SCHEDULED}
       ORDER BY IndexNo DESC LIMIT 1`,
      [configId, resource],
    );
    return row;
  }

  /**
   * How many loads of these configs are due or running (anywhere): a worker told to exit when idle waits for
   * RUNNING ones too, since their owner may die and leave them to be taken over.
   */
  async outstanding(configIds: readonly string[], now: Date): Promise<number> {
    if (configIds.length === 0) return 0;
    const list = configIds.map((_, i) => `$${i + 2}`).join(', ');
    const [row] = await this.sql.query<{ n: number }>(
      `SELECT count(*) AS n FROM ${CONTROL} WHERE ConfigId IN (${list})
       AND (LoadStatus = 'RUNNING' OR (LoadStatus = 'PENDING' AND TriggerScheduleTime <= CAST($1 AS TIMESTAMPTZ)))`,
      [ts(now), ...configIds],
    );
    return Number(row?.n ?? 0);
  }

  /** The owners of RUNNING loads (of these configs), to find those that have died. */
  async runningOwners(configIds: readonly string[]): Promise<string[]> {
    if (configIds.length === 0) return [];
    const rows = await this.sql.query<{ owner: string }>(
      `SELECT DISTINCT LeaseOwner AS owner FROM ${CONTROL} WHERE LoadStatus = 'RUNNING' AND LeaseOwner IS NOT NULL
       AND ConfigId IN (${configIds.map((_, i) => `$${i + 1}`).join(', ')})`,
      [...configIds],
    );
    return rows.map((r) => r.owner);
  }

  /**
   * The RUNNING loads of these configs, oldest first: who holds them and until when. Where rows can be locked,
   * a load another process is claiming at this instant is waited for (FOR SHARE re-reads it once the claim
   * commits): a claim that beat ours is reported RUNNING, not missed as still PENDING.
   */
  async running(configIds: readonly string[]): Promise<ControlRow[]> {
    if (configIds.length === 0) return [];
    const lock = this.sql.dialect.skipLocked ? ' FOR SHARE' : '';
    const rows = await this.sql.query<ControlRow>(
      `SELECT ${SELECT_CONTROL} FROM ${CONTROL} WHERE LoadStatus IN ('PENDING', 'RUNNING')
       AND ConfigId IN (${configIds.map((_, i) => `$${i + 1}`).join(', ')}) ORDER BY IndexNo${lock}`,
      [...configIds],
    );
    return rows.filter((row) => row.LoadStatus === 'RUNNING');
  }

  /** The highest IndexNo so far (0 when there is no load yet). */
  async lastIndexNo(): Promise<number> {
    const [row] = await this.sql.query<{ n: number | null }>(`SELECT max(IndexNo) AS n FROM ${CONTROL}`);
    return Number(row?.n ?? 0);
  }

  /** The most recent loads, newest first; of one config (or `config.resource`) when given. */
  async loads(configId?: string, limit = 50): Promise<ControlRow[]> {
    const where = configId ? `WHERE ConfigId = $2 OR ConfigId || '.' || ResourceName = $2` : '';
    return this.sql.query<ControlRow>(
      `SELECT ${SELECT_CONTROL} FROM ${CONTROL} ${where} ORDER BY IndexNo DESC LIMIT $1`,
      configId ? [limit, configId] : [limit],
    );
  }

  async audits(configId?: string, limit = 50): Promise<AuditRow[]> {
    const where = configId ? `WHERE ConfigId = $2 OR ConfigId || '.' || ResourceName = $2` : '';
    const columns = AUDIT_COLUMNS.map((c) => `${c} AS "${c}"`).join(', ');
    return this.sql.query<AuditRow>(
      `SELECT ${columns} FROM metadata.api_audit_table ${where} ORDER BY AuditId DESC LIMIT $1`,
      configId ? [limit, configId] : [limit],
    );
  }
}

const AUDIT_COLUMNS: readonly (keyof AuditRow | 'AuditId')[] = [
  'AuditId',
  'IndexNo',
  'ConfigId',
  'ResourceName',
  'APIName',
  'APIEndpoint',
  'LoadType',
  'TargetCatalog',
  'TargetSchema',
  'TargetTable',
  'SourceRowCount',
  'TargetRowCount',
  'TargetTotalRowCount',
  'RunId',
  'Attempt',
  'LoadStatus',
  'ErrorMessage',
  'LoadStartTime',
  'LoadEndTime',
  'RunDuration',
  'LoggedAt',
  'LoadedBy',
  'PageCount',
  'RequestCount',
  'RetryCount',
  'RateLimitedCount',
  'BytesFetched',
  'CastErrors',
  'QuarantinedCount',
  'DiscardedColumns',
];
