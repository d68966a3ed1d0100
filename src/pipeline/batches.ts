import { redact } from '../core/redact.js';
import type { BronzePage } from '../destinations/types.js';
import type { LoadPosition } from '../extract/checkpoint.js';
import type { Page } from '../extract/load-pages.js';
import type { Normalizer } from '../normalize/normalizer.js';
import type { CellValue, TableSchema } from '../normalize/types.js';
import type { HighWaterMark } from './high-water-mark.js';

/** A batch as the pipeline builds it; the checkpoint is added when it is committed. */
export interface PendingBatch {
  pages: BronzePage[];
  rows: CellValue[][];
  /** The table as the normalizer knew it when the batch closed (later pages may add columns). */
  table: TableSchema;
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
  onPage?: (page: Page) => void;
}

/**
 * Groups pages into commit-sized batches, normalizing each page as it arrives so that only the rows (not the
 * parsed JSON) are held until the commit.
 */
export async function* batchPages(
  pages: AsyncIterable<Page>,
  normalizer: Normalizer,
  options: BatchOptions,
): AsyncGenerator<PendingBatch> {
  let batch: PendingBatch | undefined;
  for await (const page of pages) {
    batch ??= {
      pages: [],
      rows: [],
      table: normalizer.schema(),
      records: 0,
      bytes: 0,
      position: page.position,
    };
    normalizer.normalize(page.records, batch.rows, { page: page.index });
    options.mark?.observe(page.records);
    if (options.bronze) {
      batch.pages.push({
        runId: options.runId,
        loadKey: options.loadKey,
        pageIndex: page.index,
        url: page.url,
        method: page.method,
        // Bronze is the raw response, except for secrets: an API may echo a key in its body or a request
        // parameter may carry one.
        request: redact(JSON.stringify(page.request)),
        status: page.status,
        fetchedAt: page.fetchedAt,
        body: page.text === '' ? null : redact(page.text),
        bytes: page.bytes,
      });
    }
    batch.records += page.records.length;
    batch.bytes += page.bytes;
    batch.position = page.position;
    options.onPage?.(page);
    if (batch.rows.length >= options.maxRows || batch.bytes >= options.maxBytes) {
      yield { ...batch, table: normalizer.schema() };
      batch = undefined;
    }
  }
  if (batch) yield { ...batch, table: normalizer.schema() };
}
