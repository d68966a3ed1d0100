import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { RestlakeError } from '../../core/errors.js';
import { quoteIdent, quoteLiteral } from '../sql/client.js';

interface Entry {
  instance: Promise<DuckDBInstance>;
  users: number;
}

// DuckDB allows one open instance per file in a process (and one process per file): the control store and
// the destination of the same file must share it. Reference-counted so the file is released when unused.
const open = new Map<string, Entry>();

export interface DuckDbHandle {
  instance: DuckDBInstance;
  path: string;
  /** The file's catalog, which every connection must `USE` (see `create`). */
  catalog: string;
  release(): void;
}

/**
 * Rows per row group in the file (DuckDB's default is 122,880; 2,048 is its smallest). DuckDB rewrites the
 * table's last, partly filled row group whole at each checkpoint, holding it in memory: a bronze row is a
 * whole page, so with the default a bronze table's pages piled up in one row group until a checkpoint
 * needed more memory than the machine had, and DuckDB stopped the database. Small row groups bound that
 * to 2,048 pages, at little cost to the silver tables (DuckDB works in vectors of 2,048 rows anyway).
 */
const ROW_GROUP_SIZE = 2048;

export async function openDuckDb(path: string): Promise<DuckDbHandle> {
  const file = path === ':memory:' ? path : resolve(path);
  let entry = open.get(file);
  if (!entry) {
    entry = { instance: create(file), users: 0 };
    open.set(file, entry);
  }
  entry.users++;
  let instance: DuckDBInstance;
  try {
    instance = await entry.instance;
  } catch (error) {
    open.delete(file);
    throw error;
  }
  let released = false;
  const current = entry;
  return {
    instance,
    path: file,
    catalog: catalogOf(file),
    release() {
      if (released) return;
      released = true;
      if (--current.users === 0) {
        open.delete(file);
        instance.closeSync();
      }
    },
  };
}

/** The catalog name DuckDB would give the file (its name without the extension). */
function catalogOf(file: string): string {
  return file === ':memory:' ? 'memory' : basename(file, extname(file));
}

/**
 * An in-memory instance with the file attached (only ATTACH takes a row-group size) under the name DuckDB
 * would give it when opened directly, so that catalog-qualified names in users' SQL keep working.
 */
async function create(file: string): Promise<DuckDBInstance> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  if (file === ':memory:') return DuckDBInstance.create(file);
  mkdirSync(dirname(file), { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const connection = await instance.connect();
    try {
      await connection.run(
        `ATTACH ${quoteLiteral(file)} AS ${quoteIdent(catalogOf(file))} (ROW_GROUP_SIZE ${ROW_GROUP_SIZE})`,
      );
      // Where DuckDB spills what does not fit in memory_limit: beside the file, as for a file it opens itself.
      // An in-memory instance's default is `.tmp` in the working directory, which may not be writable.
      await connection.run(`SET temp_directory = ${quoteLiteral(`${file}.tmp`)}`);
    } finally {
      connection.closeSync();
    }
    return instance;
  } catch (error) {
    instance.closeSync();
    const message = (error as Error).message;
    const holder = /PID (\d+)/.exec(message)?.[1];
    throw new RestlakeError(
      'DESTINATION_UNREACHABLE',
      holder
        ? `${file} is in use by another process (pid ${holder}); DuckDB allows one process per file — wait for it to finish, or use PostgreSQL for several workers`
        : `cannot open DuckDB file ${file}: ${message}`,
      { cause: error, context: { file, holder } },
    );
  }
}
