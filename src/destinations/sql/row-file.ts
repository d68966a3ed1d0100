import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Column } from '../../normalize/types.js';

/**
 * A batch's rows in a temporary file, in a bulk format its database reads in one native pass. A file rather
 * than memory: a batch is encoded as soon as it closes, while the previous one commits, and then only its file
 * waits for the commit, not its rows.
 */
export interface RowFile {
  readonly path: string;
  /**
   * `csv` (see csv.ts), which both databases read; `pgcopy`, PostgreSQL's binary COPY format, whose values
   * are encoded as the types of `columns` and may only be loaded into columns of exactly those types.
   */
  readonly format: 'csv' | 'pgcopy';
  readonly columns?: readonly Column[];
  readonly rows: number;
  /** Values that are not null, per column: what `discard_columns` reports as dropped. */
  readonly nonNull: readonly number[];
  delete(): void;
}

/**
 * Creates a temporary file and has `write` fill it; the file is removed if that fails, so a failed encoding
 * leaves nothing behind.
 */
export async function writeRowFile(
  format: RowFile['format'],
  write: (file: FileHandle) => Promise<Omit<RowFile, 'path' | 'format' | 'delete'>>,
): Promise<RowFile> {
  const path = join(tmpdir(), `restlake-${process.pid}-${randomUUID()}.${format}`);
  const file = await open(path, 'w');
  try {
    const written = await write(file);
    await file.close();
    return { ...written, path, format, delete: () => rmSync(path, { force: true }) };
  } catch (error) {
    await file.close().catch(() => {});
    rmSync(path, { force: true });
    throw error;
  }
}
