import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** A temporary folder for a test's pipeline files and DuckDB files, removed by `cleanup`. */
export function tempDir(prefix = 'restlake-test-'): {
  dir: string;
  path(name: string): string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    path: (name) => join(dir, name),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Writes a pipeline object as YAML and returns its path. */
export function writePipeline(dir: string, name: string, pipeline: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof pipeline === 'string' ? pipeline : stringify(pipeline));
  return file;
}
