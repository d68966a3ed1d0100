import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { RestlakeError } from '../../core/errors.js';

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
  release(): void;
}

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

async function create(file: string): Promise<DuckDBInstance> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  try {
    return await DuckDBInstance.create(file);
  } catch (error) {
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
