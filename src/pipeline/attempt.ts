import { hostname, userInfo } from 'node:os';
import type { AuditStatus } from '../control/state-machine.js';
import type { ControlRow, ControlStore } from '../control/store.js';
import type { Clock } from '../core/clock.js';
import { describeError, type RestlakeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { redact } from '../core/redact.js';
import { auditCounts, type LoadStats } from './batches.js';
import type { LoadOutcome } from './run-load.js';

export const LOADED_BY = `${safeUser()}@${hostname()}`;

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export interface AttemptRecord {
  row: ControlRow;
  table: string;
  runId: string;
  started: Date;
  error: RestlakeError | undefined;
  counts: { sourceRows: number; targetRows: number; pages: number; committedBatches: number };
  totalRows: number | null;
  http: { requests: number; retries: number; rateLimited: number; bytes: number };
  stats: LoadStats;
  /** The attempt was stopped by its process: the load goes back to PENDING rather than FAILED. */
  handBack?: boolean;
  /** Runs after the audit row is written, whatever happened (a load saves its request log). */
  afterAudit?: () => Promise<void>;
}

/**
 * The end of every attempt, a load or a rebuild: a failure moves the control row to FAILED with the
 * (redacted) reason, and one audit row is appended whatever happened.
 */
export async function settleAttempt(
  ctx: { control: ControlStore; owner: string; clock: Clock },
  log: Logger,
  attempt: AttemptRecord,
): Promise<LoadOutcome> {
  const { row, error, counts, http, started } = attempt;
  const status: AuditStatus = !error ? 'SUCCESS' : counts.committedBatches > 0 ? 'PARTIAL' : 'FAILED';
  const now = ctx.clock.now();
  const message = error ? redact(describeError(error)) : null;
  try {
    if (error?.code === 'LEASE_HELD') {
      // Another worker took the load over (this one paused past its lease): the row is theirs to finish.
      log.warn({ err: message }, 'load taken over by another worker; leaving it to them');
    } else if (error && attempt.handBack) {
      // The committed batches stay; the next worker resumes from the checkpoint.
      log.info({ batches: counts.committedBatches }, 'load handed back');
      await ctx.control.release(row, ctx.owner, now);
    } else if (error) {
      log.error({ code: error.code, err: message }, 'load failed');
      await ctx.control.fail(row, ctx.owner, message!, now);
    }
  } finally {
    await ctx.control.appendAudit({
      IndexNo: row.IndexNo,
      ConfigId: row.ConfigId,
      ResourceName: row.ResourceName,
      APIName: row.APIName,
      APIEndpoint: row.APIEndpoint,
      LoadType: row.LoadType,
      TargetCatalog: row.TargetCatalog,
      TargetSchema: row.TargetSchema,
      TargetTable: row.TargetTable,
      SourceRowCount: counts.sourceRows,
      TargetRowCount: counts.targetRows,
      TargetTotalRowCount: attempt.totalRows,
      RunId: attempt.runId,
      Attempt: row.AttemptCount,
      LoadStatus: status,
      ErrorMessage: message,
      LoadStartTime: started,
      LoadEndTime: now,
      RunDuration: (now.getTime() - started.getTime()) / 1000,
      LoggedAt: now,
      LoadedBy: LOADED_BY,
      PageCount: counts.pages,
      RequestCount: http.requests,
      RetryCount: http.retries,
      RateLimitedCount: http.rateLimited,
      BytesFetched: http.bytes,
      ...auditCounts(attempt.stats),
    });
    await attempt.afterAudit?.();
  }
  return {
    row,
    resource: row.ResourceName,
    table: attempt.table,
    status,
    error,
    sourceRows: counts.sourceRows,
    targetRows: counts.targetRows,
    pages: counts.pages,
    totalRows: attempt.totalRows,
    durationMs: now.getTime() - started.getTime(),
  };
}
