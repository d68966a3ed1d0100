import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { type FileHandle, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processGone } from '../../core/processes.js';
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
  sweep ??= sweepOrphanRowFiles(tmpdir()).catch(() => {});
  await sweep;
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

let sweep: Promise<unknown> | undefined;

const ROW_FILE_NAME = /^restlake-(\d+)-[0-9a-f-]{36}\.(?:csv|pgcopy)$/;
/** A batch's file lives until its commit: one this old whose process is gone is an orphan. */
const ORPHAN_AGE_MS = 60 * 60_000;

/**
 * Removes the row files that killed processes left in `dir` (a process that ends normally leaves none): those
 * of a process that no longer exists, last written over an hour ago. The age guards a live process of another
 * PID namespace sharing the folder, whose PID means nothing here. Done once per process, before its first file.
 */
export async function sweepOrphanRowFiles(dir: string, now = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await readdir(dir)) {
    const pid = ROW_FILE_NAME.exec(name)?.[1];
    if (!pid || Number(pid) === process.pid || !processGone(Number(pid))) continue;
    const path = join(dir, name);
    const modified = await stat(path).then(
      (s) => s.mtimeMs,
      () => now,
    );
    if (now - modified < ORPHAN_AGE_MS) continue;
    await rm(path, { force: true });
    removed.push(name);
  }
  return removed;
}
