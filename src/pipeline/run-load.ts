import { ancestorsOf } from '../config/extraction-rules.js';
import type { PipelineConfig, ResourceConfig } from '../config/schema.js';
import type { AuditStatus } from '../control/state-machine.js';
import type { Claim, ControlRow, ControlStore } from '../control/store.js';
import type { Clock } from '../core/clock.js';
import { describeError, RestlakeError, toRestlakeError } from '../core/errors.js';
import { failpoint } from '../core/failpoint.js';
import type { Logger } from '../core/logger.js';
import { prefetch } from '../core/prefetch.js';
import { readColumnSources } from '../destinations/sql/schema-history.js';
import type { Destination } from '../destinations/types.js';
import { type LoadCheckpoint, type LoadPosition, parseCheckpoint } from '../extract/checkpoint.js';
import { extractPages, planLoadWindows } from '../extract/load-pages.js';
import type { RecordSelector } from '../extract/records.js';
import { HttpClient } from '../http/client.js';
import { constantColumns } from '../normalize/metadata.js';
import { Normalizer } from '../normalize/normalizer.js';
import { settleAttempt } from './attempt.js';
import { batchPages, type LoadStats, newLoadStats, prepareBatches } from './batches.js';
import { CheckpointMirror } from './checkpoint-mirror.js';
import { HighWaterMark } from './high-water-mark.js';
import { saveRequestLog } from './request-log.js';
import { loadSpec, tableOf } from './spec.js';

export interface ProgressEvent {
  configId: string;
  resource: string;
  pages: number;
  records: number;
  startedAt: number;
  done: boolean;
}

export interface LoadContext {
  control: ControlStore;
  destination: Destination;
  /** Lease owner id of this process. */
  owner: string;
  leaseMs: number;
  clock: Clock;
  logger: Logger;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  /** Resources' parsers (`parser:`), loaded before anything ran. */
  parsers?: ReadonlyMap<string, RecordSelector>;
}

export interface LoadOutcome {
  row: ControlRow;
  resource: string;
  table: string;
  status: AuditStatus;
  error: RestlakeError | undefined;
  sourceRows: number;
  targetRows: number;
  totalRows: number | null;
  pages: number;
  durationMs: number;
}

export const MAX_BATCH_BYTES = 16 * 1024 * 1024;

/**
 * One attempt at one claimed load: extract → bronze → normalize → load, each batch committed with its
 * checkpoint, then the control row moved to SUCCESS or FAILED and one audit row appended. Never throws for
 * a failed load: the outcome says what happened.
 */
export async function runLoad(config: PipelineConfig, claim: Claim, ctx: LoadContext): Promise<LoadOutcome> {
  const { row } = claim;
  const started = ctx.clock.now();
  const runId = row.LastJobRunId ?? 'unknown';
  const log = ctx.logger.child({
    config: row.ConfigId,
    resource: row.ResourceName,
    load: row.IndexNo,
    runId,
  });
  const resource = config.resources.find((r) => r.name === row.ResourceName);
  const counts = { sourceRows: 0, targetRows: 0, pages: 0, committedBatches: 0 };
  const stats = newLoadStats();
  let totalRows: number | null = null;
  let error: RestlakeError | undefined;

  const aborter = new AbortController();
  const stop = (reason: RestlakeError) => aborter.abort(reason);
  ctx.signal?.addEventListener(
    'abort',
    () => stop(new RestlakeError('CANCELLED', 'the load was stopped by its process and handed back')),
    { once: true },
  );
  const heartbeat = setInterval(
    () => {
      ctx.control.heartbeat(row.IndexNo, ctx.owner, ctx.leaseMs, ctx.clock.now()).then(
        (held) => {
          if (!held)
            stop(
              new RestlakeError(
                'LEASE_HELD',
                `lost the lease on load ${row.IndexNo}: another worker took it over`,
              ),
            );
        },
        (cause) => log.warn({ err: describeError(cause) }, 'heartbeat failed; will try again'),
      );
    },
    Math.max(1_000, ctx.leaseMs / 3),
  );
  heartbeat.unref();

  if (claim.takenOverFrom)
    log.warn(
      { previousOwner: claim.takenOverFrom },
      'took over the load of a process that died or whose lease expired',
    );
  // Keyed by config id: concurrent loads of one pipeline share its rate limit, circuit and tokens.
  const client = new HttpClient(config.source, { clock: ctx.clock, logger: log, shareKey: config.id });
  try {
    if (!resource) {
      throw new RestlakeError(
        'CONFIG_INVALID',
        `resource "${row.ResourceName}" is no longer in the pipeline file ${config.id}`,
      );
    }
    const spec = loadSpec(config, resource, ctx.destination);
    await ctx.control.describe(row.IndexNo, spec);
    const result = await extractAndLoad(
      config,
      resource,
      row,
      client,
      ctx,
      counts,
      stats,
      aborter.signal,
      runId,
    );
    totalRows = result.totalRows;
    failpoint('load.finished');
    await ctx.control.succeed(row, ctx.owner, spec, result.mark, ctx.clock.now());
    log.info({ rows: counts.targetRows, pages: counts.pages }, 'load succeeded');
  } catch (caught) {
    error = toRestlakeError(aborter.signal.aborted ? (aborter.signal.reason ?? caught) : caught);
  } finally {
    clearInterval(heartbeat);
    await client.close();
  }
  return settleAttempt(ctx, log, {
    // Stopped by its process (SIGTERM): the load goes back to PENDING for the next worker.
    handBack: error?.code === 'CANCELLED' && ctx.signal?.aborted === true,
    row,
    table: resource ? tableOf(resource) : (row.TargetTable ?? ''),
    runId,
    started,
    error,
    counts,
    totalRows,
    http: client.stats,
    stats,
    afterAudit: () =>
      saveRequestLog(ctx.control, { ...row, RunId: runId, Attempt: row.AttemptCount }, client, log),
  });
}

/** The stages of one load, batch by batch; returns the target's total row count and the high-water mark. */
async function extractAndLoad(
  config: PipelineConfig,
  resource: ResourceConfig,
  row: ControlRow,
  client: HttpClient,
  ctx: LoadContext,
  counts: { sourceRows: number; targetRows: number; pages: number; committedBatches: number },
  stats: LoadStats,
  signal: AbortSignal,
  runId: string,
): Promise<{ totalRows: number; mark: Date | null }> {
  const loadKey = `${row.ConfigId}/${row.ResourceName}/${row.IndexNo}`;
  const table = tableOf(resource);
  const destination = config.destination;
  const normalizer = new Normalizer(resource, {
    windowed: row.LoadStartTime !== null,
    stats,
    knownColumns: await readColumnSources(ctx.destination.sql(), config.id, resource.name),
  });
  const writer = await ctx.destination.openLoad({
    loadKey,
    disposition: resource.write,
    tables: normalizer.tables(),
    bronzeTable: destination.bronze ? `${config.id}__${resource.name}` : undefined,
    metadata: constantColumns(resource, {
      runId,
      loadedAt: ctx.clock.now(),
      source: `${config.id}.${resource.name}`,
    }),
    origin: { configId: config.id, resource: resource.name, runId },
    contract: resource.schema_contract,
  });
  try {
    const windows = planLoadWindows(resource, { start: row.LoadStartTime, end: row.LoadEndTime });
    const saved = parseCheckpoint(await writer.readCheckpoint(), windows[0]?.key ?? '');
    if (saved?.finished) {
      const totals = await writer.totals();
      return { totalRows: totals[table] ?? 0, mark: saved.mark ? new Date(saved.mark) : null };
    }
    const initialMark = saved?.mark ? new Date(saved.mark) : row.LastLoadTime;
    const mark = resource.incremental
      ? new HighWaterMark(resource.incremental.cursor_field, initialMark)
      : undefined;
    const startedAt = Date.now();
    const progress = (done: boolean) =>
      ctx.onProgress?.({
        configId: config.id,
        resource: resource.name,
        pages: counts.pages,
        records: counts.sourceRows,
        startedAt,
        done,
      });

    const pages = extractPages(resource, client, {
      windows,
      resume: saved,
      ancestors: ancestorsOf(config.resources, resource),
      maxConcurrency: config.source.max_concurrency,
      signal,
      now: () => ctx.clock.now(),
      parsers: ctx.parsers,
    });
    const batches = batchPages(pages, normalizer, {
      runId,
      loadKey,
      windows: new Map(
        windows.map((w) => [
          w.key,
          { start: w.start?.toISOString() ?? null, end: w.end?.toISOString() ?? null },
        ]),
      ),
      bronze: destination.bronze,
      maxRows: config.batch_size,
      maxBytes: MAX_BATCH_BYTES,
      mark,
      onPage: (page) => {
        counts.pages++;
        counts.sourceRows += page.records.length;
        progress(false);
      },
    });
    let position: LoadPosition | undefined = saved;
    const checkpoint = (at: LoadPosition) =>
      JSON.stringify({ ...at, mark: mark?.value()?.toISOString() ?? null } satisfies LoadCheckpoint);
    const mirror = new CheckpointMirror(
      (committed) => ctx.control.recordCheckpoint(row.IndexNo, ctx.owner, committed),
      (cause) =>
        ctx.logger.warn({ err: describeError(cause) }, 'could not copy the checkpoint to the control row'),
    );
    // One batch is built and encoded for the database while the previous one commits.
    const prepared = prepareBatches(batches, writer, checkpoint);
    try {
      for await (const batch of prefetch(prepared, 1)) {
        signal.throwIfAborted();
        position = batch.position;
        const committed = batch.prepared.checkpoint;
        const result = await writer.write(batch.prepared);
        counts.targetRows += result.rows[table] ?? 0;
        stats.addDiscarded(result.discarded);
        counts.committedBatches++;
        failpoint('batch.committed');
        mirror.record(committed);
        ctx.logger.debug({ load: row.IndexNo, pages: position.pages }, 'batch committed');
      }
    } finally {
      await mirror.flush();
    }
    signal.throwIfAborted();
    const final = checkpoint({ windows: {}, pages: position?.pages ?? 0, finished: true });
    const totals = await writer.finish(final);
    progress(true);
    return { totalRows: totals[table] ?? 0, mark: mark?.value() ?? null };
  } finally {
    await writer.close();
  }
}
