import type { SqlClient } from './client.js';
import { refSql, type TableRef } from './tables.js';

/** One raw page as bronze keeps it, for rebuilding silver without calling the API. */
export interface StoredPage {
  loadKey: string;
  /** The load (control row) that fetched it: the third part of its load key. */
  indexNo: number;
  runId: string;
  pageIndex: number;
  /** The raw response; null when there was none (204 No Content). */
  body: string | null;
  bytes: number;
  /** The window the page was requested for (ISO); null for loads without windows, and pages kept before 0.2. */
  windowStart: string | null;
  windowEnd: string | null;
  /** A child resource's parent fields (JSON), copied into each record. */
  parentFields: string | null;
}

export interface StoredPageFilter {
  /** Only the pages of this load (`config/resource/IndexNo`). */
  loadKey?: string;
  /** Only pages fetched at or after this time. */
  from?: Date;
}

const CHUNK = 64;

/**
 * The pages of a bronze table in the order they were loaded (by load, then page), read a few at a time so
 * memory stays flat however large bronze has grown.
 */
export async function* readStoredPages(
  sql: SqlClient,
  table: TableRef,
  filter: StoredPageFilter = {},
): AsyncGenerator<StoredPage> {
  const indexNo = `CAST(split_part(_restlake_load_key, '/', 3) AS BIGINT)`;
  const conditions: string[] = [];
  const params: (string | number)[] = [];
  if (filter.loadKey !== undefined) conditions.push(`_restlake_load_key = $${params.push(filter.loadKey)}`);
  if (filter.from !== undefined)
    conditions.push(`fetched_at >= CAST($${params.push(filter.from.toISOString())} AS TIMESTAMPTZ)`);
  let after: [number, number] | undefined;
  for (;;) {
    const page = [...params];
    const where = [...conditions];
    if (after) {
      const [load, index] = [page.push(after[0]), page.push(after[1])];
      where.push(`(${indexNo} > $${load} OR (${indexNo} = $${load} AND page_index > $${index}))`);
    }
    const rows = await sql.query<{
      load_key: string;
      index_no: number;
      run_id: string;
      page_index: number;
      body: string | null;
      bytes: number;
      window_start: Date | null;
      window_end: Date | null;
      parent_fields: string | null;
    }>(
      `SELECT _restlake_load_key AS load_key, ${indexNo} AS index_no, _restlake_run_id AS run_id,
              page_index AS page_index, CAST(body AS VARCHAR) AS body, bytes AS bytes,
              window_start AS window_start, window_end AS window_end,
              CAST(parent_fields AS VARCHAR) AS parent_fields
       FROM ${refSql(table)} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY ${indexNo}, page_index LIMIT ${CHUNK}`,
      page,
    );
    for (const row of rows) {
      yield {
        loadKey: row.load_key,
        indexNo: Number(row.index_no),
        runId: row.run_id,
        pageIndex: Number(row.page_index),
        body: row.body,
        bytes: Number(row.bytes),
        windowStart: row.window_start?.toISOString() ?? null,
        windowEnd: row.window_end?.toISOString() ?? null,
        parentFields: row.parent_fields,
      };
    }
    if (rows.length < CHUNK) return;
    const last = rows[rows.length - 1]!;
    after = [Number(last.index_no), Number(last.page_index)];
  }
}

/** Whether a bronze table exists (a resource loaded with `bronze: false`, or never loaded, has none). */
export async function storedPagesExist(sql: SqlClient, table: TableRef): Promise<boolean> {
  const rows = await sql.query(
    'SELECT 1 AS found FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2',
    [table.schema, table.name],
  );
  return rows.length > 0;
}
