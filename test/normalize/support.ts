import type { Workspace } from '../../src/pipeline/runner.js';
import { rows } from '../support/run.js';
import { writePipeline } from '../support/workspace.js';

let counter = 0;

/**
 * A pipeline of one resource against a local API, writing to a fresh DuckDB file in `dir` (or to the
 * `destination` given in `extra`); also written to `<id>.yaml` for the commands that read a file.
 */
export function localPipeline(
  dir: string,
  prefix: string,
  baseUrl: string,
  resource: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  const id = `${prefix}_${++counter}`;
  const destination = { type: 'duckdb', path: `${dir}/${id}.duckdb` };
  const yaml = {
    id,
    source: { base_url: baseUrl },
    resources: [resource],
    destination: destination as Record<string, unknown>,
    ...extra,
  };
  return { id, destination: yaml.destination, yaml, file: writePipeline(dir, `${id}.yaml`, yaml) };
}

/** PostgreSQL's names of the types restlake creates, spelled as DuckDB does, so one assertion fits both. */
const AS_DUCKDB: Record<string, string> = {
  text: 'VARCHAR',
  'character varying': 'VARCHAR',
  integer: 'INTEGER',
  bigint: 'BIGINT',
  'double precision': 'DOUBLE',
  boolean: 'BOOLEAN',
  'timestamp with time zone': 'TIMESTAMP WITH TIME ZONE',
  date: 'DATE',
  json: 'JSON',
};

/** A table's columns and their types (in DuckDB's spelling), in table order. */
export async function columnTypes(ws: Workspace, table: string): Promise<Record<string, unknown>> {
  const found = await rows(
    ws,
    `SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = 'main' AND table_name = '${table}' ORDER BY ordinal_position`,
  );
  return Object.fromEntries(found.map((r) => [r.c, AS_DUCKDB[String(r.t)] ?? r.t]));
}
