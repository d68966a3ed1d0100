import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { sweepOrphanRowFiles } from '../../src/destinations/sql/row-file.js';

test('the row files of a killed process are swept; a live or recent one, and other files, are kept', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'restlake-sweep-'));
  // A process that has ended: its PID names no process now.
  const gone = spawnSync(process.execPath, ['-e', '']).pid!;
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
  const file = (name: string, old: boolean) => {
    writeFileSync(join(dir, name), 'rows');
    if (old) utimesSync(join(dir, name), twoHoursAgo, twoHoursAgo);
    return name;
  };
  const orphanCsv = file(`restlake-${gone}-${randomUUID()}.csv`, true);
  const orphanCopy = file(`restlake-${gone}-${randomUUID()}.pgcopy`, true);
  const recent = file(`restlake-${gone}-${randomUUID()}.csv`, false);
  const live = file(`restlake-${process.ppid}-${randomUUID()}.csv`, true);
  const other = file(`restlake-${gone}-notes.csv`, true);
  try {
    const removed = await sweepOrphanRowFiles(dir);
    expect(removed.sort()).toEqual([orphanCsv, orphanCopy].sort());
    expect(readdirSync(dir).sort()).toEqual([recent, live, other].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
