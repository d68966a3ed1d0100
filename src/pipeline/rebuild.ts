import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import type { LoadedPipeline } from '../config/load.js';
import type { PipelineConfig, ResourceConfig } from '../config/schema.js';
import type { ControlRow } from '../control/store.js';
import { type Clock, systemClock } from '../core/clock.js';
import { RestlakeError, toRestlakeError } from '../core/errors.js';
import { parseJson } from '../core/json.js';
import { type Logger, silentLogger } from '../core/logger.js';
import {
  readStoredPages,
  type StoredPageFilter,
  storedPagesExist,
} from '../destinations/sql/bronze-reader.js';
import { readColumnSources } from '../destinations/sql/schema-history.js';
import { withParentFields } from '../extract/children.js';
import type { RecordSelector } from '../extract/records.js';
import { recordSelector } from '../extract/records.js';
import { constantColumns } from '../normalize/metadata.js';
import { Normalizer } from '../normalize/normalizer.js';
import { loadParsers } from '../normalize/parser.js';
import { settleAttempt } from './attempt.js';
import { type LoadStats, newLoadStats } from './batches.js';
import { type LoadOutcome, MAX_BATCH_BYTES } from './run-load.js';
import { openWorkspace, PROCESS_OWNER, type Workspace } from './runner.js';
import { loadSpec, tableOf } from './spec.js';

export interface RebuildOptions {
  /** Replay only pages fetched at or after this time, merged into the tables as they are (merge resources). */
  from?: Date;
  logger?: Logger;
  clock?: Clock;
}

const LEASE_MS = 60 * 60_000;

/**
 * `restlake rebuild`: re-derives the silver tables (and child tables) of a config, or of one `config.resource`,
 * from the raw pages in bronze, without calling the API, with the pipeline file as it is now (its schema,
 * selectors, casting rules, parser). Each resource's rebuild is a REBUILD control row with its own audit row.
 *
 * Without `from`, the tables are rebuilt whole and swapped in at the end: a merge resource replays every page,
 * oldest first; an append resource every page; a replace resource the pages of its latest successful load.
 * With `from`, the pages fetched since then are merged into the tables as they are.
 */
export async function rebuildPipeline(
  loaded: LoadedPipeline,
  id: string,
  options: RebuildOptions = {},
): Promise<LoadOutcome[]> {
  const { config } = loaded;
  const resources = selectResources(config, id);
  if (!config.destination.bronze) {
    throw new RestlakeError(
      'USAGE',
      `${config.id} keeps no bronze pages (destination.bronze is false): there is nothing to rebuild from`,
    );
  }
  const notMerged = resources.filter((r) => r.write !== 'merge');
  if (options.from && notMerged.length > 0) {
    throw new RestlakeError(
      'USAGE',
      `--from merges the pages fetched since then into the tables, which only a merge resource can take; ${notMerged.map((r) => r.name).join(', ')} ${notMerged.length === 1 ? 'is' : 'are'} rebuilt whole: drop --from`,
    );
  }
  const parsers = await loadParsers(config, dirname(loaded.file), loaded.file);
  const workspace = await openWorkspace(config.destination, dirname(loaded.file));
  try {
    const outcomes: LoadOutcome[] = [];
    for (const resource of resources) {
      outcomes.push(
        await rebuildResource(config, resource, workspace, {
          clock: options.clock ?? systemClock,
          logger: options.logger ?? silentLogger,
          from: options.from,
          select: parsers.get(resource.name) ?? recordSelector(resource.records),
        }),
      );
    }
    return outcomes;
  } finally {
    await workspace.close();
  }
}

function selectResources(config: PipelineConfig, id: string): ResourceConfig[] {
  const [configId, name] = id.split('.', 2) as [string, string | undefined];
  if (configId !== config.id) {
    throw new RestlakeError('USAGE', `"${id}" is not ${config.id} or ${config.id}.RESOURCE`);
  }
  if (name === undefined) return config.resources;
  const resource = config.resources.find((r) => r.name === name);
  if (!resource) {
    throw new RestlakeError(
      'USAGE',
      `${config.id} has no resource "${name}"; it has ${config.resources.map((r) => r.name).join(', ')}`,
    );
  }
  return [resource];
}

interface RebuildContext {
  clock: Clock;
  logger: Logger;
  from: Date | undefined;
  select: RecordSelector;
}

async function rebuildResource(
  config: PipelineConfig,
  resource: ResourceConfig,
  workspace: Workspace,
  ctx: RebuildContext,
): Promise<LoadOutcome> {
  const { control, destination } = workspace;
  const spec = loadSpec(config, resource, destination);
  const planned = await control.planRebuild(spec, ctx.clock.now());
  const runId = randomUUID();
  const started = ctx.clock.now();
  const claim = await control.claim({
    owner: PROCESS_OWNER,
    runId,
    leaseMs: LEASE_MS,
    now: started,
    indexNo: planned.IndexNo,
  });
  if (!claim) throw new RestlakeError('CONTROL', `the rebuild row ${planned.IndexNo} could not be claimed`);
  const row = claim.row;
  const log = ctx.logger.child({ config: config.id, resource: resource.name, load: row.IndexNo, runId });
  const counts = { sourceRows: 0, targetRows: 0, pages: 0, committedBatches: 0 };
  const stats = newLoadStats();
  let totalRows: number | null = null;
  let error: RestlakeError | undefined;
  try {
    totalRows = await replay(config, resource, row, workspace, ctx, counts, stats);
    await control.succeed(row, PROCESS_OWNER, spec, null, ctx.clock.now());
    log.info({ rows: counts.targetRows, pages: counts.pages }, 'rebuild succeeded');
  } catch (caught) {
    error = toRestlakeError(caught);
  }
  return settleAttempt({ control, owner: PROCESS_OWNER, clock: ctx.clock }, log, {
    row,
    table: tableOf(resource),
    runId,
    started,
    error,
    counts,
    totalRows,
    http: { requests: 0, retries: 0, rateLimited: 0, bytes: 0 },
    stats,
  });
}

/** Bronze pages → normalize → the load writer, batch by batch; returns the table's row count. */
async function replay(
  config: PipelineConfig,
  resource: ResourceConfig,
  row: ControlRow,
  { control, destination }: Workspace,
  ctx: RebuildContext,
  counts: { sourceRows: number; targetRows: number; pages: number; committedBatches: number },
  stats: LoadStats,
): Promise<number> {
  const bronze = { schema: config.destination.bronze_schema, name: `${config.id}__${resource.name}` };
  const sql = destination.sql();
  if (!(await storedPagesExist(sql, bronze))) {
    throw new RestlakeError(
      'LOAD_FAILED',
      `no bronze table ${bronze.schema}.${bronze.name}: nothing was loaded yet`,
    );
  }
  const filter: StoredPageFilter = {};
  if (ctx.from) filter.from = ctx.from;
  else if (resource.write === 'replace') {
    const last = await control.lastSuccess(config.id, resource.name);
    if (!last)
      throw new RestlakeError(
        'LOAD_FAILED',
        `${config.id}.${resource.name} has no successful load to rebuild`,
      );
    filter.loadKey = `${config.id}/${resource.name}/${last.IndexNo}`;
  }
  const windowed = resource.incremental !== undefined;
  const knownColumns = await readColumnSources(sql, config.id, resource.name);
  const normalizer = new Normalizer(resource, { windowed, stats, knownColumns });
  const table = tableOf(resource);
  const writer = await destination.openLoad({
    loadKey: `${config.id}/${resource.name}/${row.IndexNo}`,
    disposition: resource.write,
    swap: !ctx.from,
    tables: normalizer.tables(),
    bronzeTable: undefined,
    metadata: constantColumns(resource, {
      runId: row.LastJobRunId ?? '',
      loadedAt: ctx.clock.now(),
      source: `${config.id}.${resource.name}`,
    }),
    origin: { configId: config.id, resource: resource.name, runId: row.LastJobRunId ?? '' },
    // A whole rebuild makes new tables from the schema as declared now; a partial one keeps to the contract.
    contract: ctx.from ? resource.schema_contract : 'evolve',
  });
  try {
    let bytes = 0;
    let position = { indexNo: 0, pageIndex: -1 };
    const commit = async () => {
      const result = await writer.write({
        pages: [],
        rowSets: normalizer.take(),
        checkpoint: JSON.stringify({ rebuilt: position }),
      });
      counts.targetRows += result.rows[table] ?? 0;
      counts.committedBatches++;
      stats.addDiscarded(result.discarded);
      bytes = 0;
    };
    for await (const page of readStoredPages(sql, bronze, filter)) {
      const selected = ctx.select(page.body === null ? null : parseJson(page.body));
      const records = page.parentFields
        ? withParentFields(selected, parseJson(page.parentFields) as Record<string, unknown>)
        : selected;
      normalizer.normalize(records, {
        page: page.pageIndex,
        runId: page.runId,
        window: { start: page.windowStart, end: page.windowEnd },
      });
      counts.pages++;
      counts.sourceRows += records.length;
      bytes += page.bytes;
      position = { indexNo: page.indexNo, pageIndex: page.pageIndex };
      if (normalizer.bufferedRows >= config.batch_size || bytes >= MAX_BATCH_BYTES) await commit();
    }
    if (normalizer.bufferedRows > 0) await commit();
    const totals = await writer.finish(JSON.stringify({ rebuilt: position, done: true }));
    return totals[table] ?? 0;
  } finally {
    await writer.close();
  }
}
