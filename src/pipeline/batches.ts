import { setImmediate as nextTurn } from 'node:timers/promises';
import { stringifyJson } from '../core/json.js';
import { redact, redactDeep } from '../core/redact.js';
import type { BronzePage, LoadWriter, PreparedBatch } from '../destinations/types.js';
import type { LoadPosition } from '../extract/checkpoint.js';
import type { Page } from '../extract/load-pages.js';
import type { Normalizer, NormalizeStats } from '../normalize/normalizer.js';
import type { PageContext, RowSet } from '../normalize/types.js';
import type { HighWaterMark } from './high-water-mark.js';

/**
 * Records normalized between two turns of the event loop. The previous batch commits meanwhile, and its I/O
 * (COPY chunks read and sent, each statement's reply) moves on only when the loop turns; pages fetched ahead
 * are ready promises, normalized one after another without turning it. A turn per page made a 500k PostgreSQL
 * merge 7-9% faster, and one per 250 records (a 1,000-record page is 3-4 ms of work) about 5% faster again.
 */
const NORMALIZE_SLICE = 250;

/** A batch as the pipeline builds it; the checkpoint is added when it is committed. */
export interface PendingBatch {
  pages: BronzePage[];
  /** Rows per table, each with the table as the normalizer knew it when the batch closed. */
  rowSets: RowSet[];
  records: number;
  bytes: number;
  position: LoadPosition;
}

export interface BatchOptions {
  runId: string;
  loadKey: string;
  /** Keep raw pages for bronze. */
  bronze: boolean;
  /** Commit once this many rows are buffered... */
  maxRows: number;
  /** ...or this many bytes of raw pages, whichever comes first: memory stays bounded whatever the page size. */
  maxBytes: number;
  mark: HighWaterMark | undefined;
  /** The load's windows by key, written into rows that have window columns. */
  windows?: ReadonlyMap<string, PageContext['window']>;
  onPage?: (page: Page) => void;
}

/**
 * Groups pages into commit-sized batches, normalizing each page as it arrives so that only its rows, packed
 * (not the parsed JSON), are held until the commit.
 */
export async function* batchPages(
  pages: AsyncIterable<Page>,
  normalizer: Normalizer,
  options: BatchOptions,
): AsyncGenerator<PendingBatch> {
  let batch: Omit<PendingBatch, 'rowSets'> | undefined;
  for await (const page of pages) {
    batch ??= { pages: [], records: 0, bytes: 0, position: page.position };
    const window = options.windows?.get(page.window);
    // An API may echo a secret (a key, a token) in its records, and a child's records carry its parent's
    // fields: where the page's text or those fields mention one, the records are masked before they become
    // rows, as bronze is. One scan of the text keeps the usual page free of the walk.
    const body = redact(page.text);
    const carried = page.carried ? stringifyJson(page.carried) : null;
    const parentFields = carried === null ? null : redact(carried);
    const records = body === page.text && parentFields === carried ? page.records : redactDeep(page.records);
    const context = { page: page.index, runId: options.runId, window };
    for (let from = 0; from < records.length; from += NORMALIZE_SLICE) {
      // The commit running meanwhile waits for a turn of the event loop at each of its statements.
      if (from > 0) await nextTurn();
      normalizer.normalize(records, context, from, Math.min(from + NORMALIZE_SLICE, records.length));
    }
    normalizer.pack();
    options.mark?.observe(records);
    if (options.bronze) {
      batch.pages.push({
        runId: options.runId,
        loadKey: options.loadKey,
        pageIndex: page.index,
        url: page.url,
        method: page.method,
        // Bronze is the raw response, except for secrets: an API may echo a key in its body or a request
        // parameter may carry one.
        request: redact(stringifyJson(page.request)),
        status: page.status,
        fetchedAt: page.fetchedAt,
        // Unless masking changed the text, the bytes that came (see `BronzePage.body`).
        body: body === '' ? null : body === page.text && page.encoded ? page.encoded : body,
        bytes: page.bytes,
        windowStart: window?.start ?? null,
        windowEnd: window?.end ?? null,
        parentFields,
      });
    }
    batch.records += page.records.length;
    batch.bytes += page.bytes;
    batch.position = page.position;
    options.onPage?.(page);
    // See NORMALIZE_SLICE.
    await nextTurn();
    if (normalizer.bufferedRows >= options.maxRows || batch.bytes >= options.maxBytes) {
      yield { ...batch, rowSets: normalizer.take() };
      batch = undefined;
    }
  }
  if (batch) yield { ...batch, rowSets: normalizer.take() };
}

/**
 * Hands each batch to the writer to encode as soon as it closes (the caller runs this ahead of the commits),
 * with the checkpoint of its last page, and keeps only the encoded form: the rows are let go.
 */
export async function* prepareBatches(
  batches: AsyncIterable<PendingBatch>,
  writer: LoadWriter,
  checkpointOf: (position: LoadPosition) => string,
): AsyncGenerator<{ position: LoadPosition; prepared: PreparedBatch }> {
  for await (const batch of batches) {
    const checkpoint = checkpointOf(batch.position);
    yield { position: batch.position, prepared: await writer.prepare({ ...batch, checkpoint }) };
  }
}

/** What the normalize and load stages count over a load, for its audit row. */
export interface LoadStats extends NormalizeStats {
  /** Under `discard_columns`: values dropped per `table.column`. */
  discarded: Record<string, number>;
  addDiscarded(counts: Record<string, number>): void;
}

export function newLoadStats(): LoadStats {
  const stats: LoadStats = {
    castErrors: {},
    quarantined: 0,
    discarded: {},
    addDiscarded(counts) {
      for (const [key, n] of Object.entries(counts)) stats.discarded[key] = (stats.discarded[key] ?? 0) + n;
    },
  };
  return stats;
}

/** The audit row's normalize columns: JSON objects (NULL when empty) and the quarantined record count. */
export function auditCounts(stats: LoadStats) {
  const json = (counts: Record<string, number>) =>
    Object.keys(counts).length > 0 ? JSON.stringify(counts) : null;
  return {
    CastErrors: json(stats.castErrors),
    QuarantinedCount: stats.quarantined,
    DiscardedColumns: json(stats.discarded),
  };
}
