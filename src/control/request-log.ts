import type { SqlClient, SqlValue } from '../destinations/sql/client.js';
import type { WeightedRecord } from '../http/telemetry.js';

/** metadata.api_request_log: every HTTP attempt of every load, and the performance report built from it. */

const TABLE = 'metadata.api_request_log';
const COLUMNS = [
  'IndexNo',
  'ConfigId',
  'ResourceName',
  'RunId',
  'Attempt',
  'RequestedAt',
  'Method',
  'Path',
  'Status',
  'ErrorCode',
  'LatencyMs',
  'Bytes',
  'RequestAttempt',
  'RateLimitWaitMs',
  'BackoffMs',
  'IsAuth',
  'Weight',
] as const;
/** Rows per INSERT: 17 parameters each stays far below PostgreSQL's 65,535 per statement. */
const ROWS_PER_STATEMENT = 1_000;

/** The load attempt the records belong to. */
export interface RequestLogOwner {
  IndexNo: number;
  ConfigId: string;
  ResourceName: string;
  RunId: string;
  Attempt: number;
}

/** Writes the records of one load attempt, a thousand rows per statement, in one transaction. */
export async function appendRequestLog(
  sql: SqlClient,
  owner: RequestLogOwner,
  records: readonly WeightedRecord[],
): Promise<void> {
  if (records.length === 0) return;
  const tuple = (row: number) =>
    `(${COLUMNS.map((column, i) => {
      const param = `$${row * COLUMNS.length + i + 1}`;
      return column === 'RequestedAt' ? `CAST(${param} AS TIMESTAMPTZ)` : param;
    }).join(', ')})`;
  await sql.transaction(async (tx) => {
    for (let start = 0; start < records.length; start += ROWS_PER_STATEMENT) {
      const chunk = records.slice(start, start + ROWS_PER_STATEMENT);
      const params: SqlValue[] = [];
      const tuples = chunk.map((r, row) => {
        params.push(
          owner.IndexNo,
          owner.ConfigId,
          owner.ResourceName,
          owner.RunId,
          owner.Attempt,
          r.at.toISOString(),
          r.method,
          r.path,
          r.status ?? null,
          r.error ?? null,
          Math.round(r.latencyMs * 1000) / 1000,
          r.bytes,
          r.attempt,
          r.waitMs,
          r.backoffMs,
          r.auth,
          r.weight,
        );
        return tuple(row);
      });
      await tx.execute(`INSERT INTO ${TABLE} (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')}`, params);
    }
  });
}

/** One line of `restlake report`: the requests of one resource (or its token requests), or of all. */
export interface RequestSummary {
  resource: string;
  requests: number;
  succeeded: number;
  p50Ms: number | null;
  p95Ms: number | null;
  rateLimitWaitMs: number;
  backoffMs: number;
  bytes: number;
  /** Failed attempts by status (or by error code when no response came): `{ "503": 4, "HTTP_TIMEOUT": 1 }`. */
  errors: Record<string, number>;
}

/**
 * The performance of a config's requests (or `config.resource`'s) since a time: per resource, with token
 * and login requests apart, and a total. Sums use the rows' weights, so they are exact even where the log
 * kept a sample.
 */
export async function requestReport(sql: SqlClient, id: string, since: Date): Promise<RequestSummary[]> {
  const where = `(ConfigId = $1 OR ConfigId || '.' || ResourceName = $1) AND RequestedAt >= CAST($2 AS TIMESTAMPTZ)`;
  const params = [id, since.toISOString()];
  const label = `CASE WHEN IsAuth THEN ResourceName || ' (auth)' ELSE ResourceName END`;
  const measures = `SUM(Weight) AS "requests",
    SUM(CASE WHEN Status BETWEEN 200 AND 299 THEN Weight ELSE 0 END) AS "succeeded",
    percentile_cont(0.5) WITHIN GROUP (ORDER BY LatencyMs) AS "p50Ms",
    percentile_cont(0.95) WITHIN GROUP (ORDER BY LatencyMs) AS "p95Ms",
    SUM(RateLimitWaitMs * Weight) AS "rateLimitWaitMs",
    SUM(BackoffMs * Weight) AS "backoffMs",
    SUM(Bytes * Weight) AS "bytes"`;
  const perResource = await sql.query<Record<string, unknown>>(
    `SELECT ${label} AS "resource", ${measures} FROM ${TABLE} WHERE ${where} GROUP BY ${label} ORDER BY 1`,
    params,
  );
  if (perResource.length === 0) return [];
  const [total] = await sql.query<Record<string, unknown>>(
    `SELECT 'total' AS "resource", ${measures} FROM ${TABLE} WHERE ${where}`,
    params,
  );
  const failures = await sql.query<{ resource: string; outcome: string; n: unknown }>(
    `SELECT ${label} AS "resource", COALESCE(CAST(Status AS VARCHAR), ErrorCode, 'unknown') AS "outcome",
       SUM(Weight) AS "n"
     FROM ${TABLE} WHERE ${where} AND (Status IS NULL OR Status NOT BETWEEN 200 AND 299)
     GROUP BY ${label}, COALESCE(CAST(Status AS VARCHAR), ErrorCode, 'unknown')`,
    params,
  );
  const rows = [...perResource, ...(perResource.length > 1 && total ? [total] : [])];
  return rows.map((row) => {
    const resource = String(row.resource);
    const errors: Record<string, number> = {};
    for (const f of failures) {
      if (resource === 'total' || f.resource === resource)
        errors[f.outcome] = (errors[f.outcome] ?? 0) + Math.round(Number(f.n));
    }
    const num = (key: string) => Number(row[key] ?? 0);
    const maybe = (key: string) => (row[key] === null || row[key] === undefined ? null : Number(row[key]));
    return {
      resource,
      requests: Math.round(num('requests')),
      succeeded: Math.round(num('succeeded')),
      p50Ms: maybe('p50Ms'),
      p95Ms: maybe('p95Ms'),
      rateLimitWaitMs: num('rateLimitWaitMs'),
      backoffMs: num('backoffMs'),
      bytes: Math.round(num('bytes')),
      errors,
    };
  });
}
