import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { cli, inBatches } from '../support/cli.js';
import { tempDir } from '../support/workspace.js';

/**
 * The bad-input corpus: every file in bad-pipelines/ is a broken pipeline file whose first line says which
 * key the error must name (`# expect: resources[0].paginator.type`; empty for file-level problems). Each must
 * make `restlake run` exit 2 with a message naming that key, and write nothing.
 */
const CORPUS = join(import.meta.dirname, 'bad-pipelines');
const files = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const tmp = tempDir();
afterAll(() => tmp.cleanup());

test('the corpus has at least 40 broken pipeline files', () => {
  expect(files.length).toBeGreaterThanOrEqual(40);
});

test('every broken file is rejected with exit 2, names its key, and writes nothing', async () => {
  const results = await inBatches(
    files.map((file) => async () => {
      const dir = join(tmp.dir, file.replace(/\.yaml$/, ''));
      cpSync(join(CORPUS, file), join(dir, 'pipeline.yaml'), { recursive: true });
      const result = await cli(['run', 'pipeline.yaml'], { cwd: dir });
      const expected = /^# expect: (.*)$/m.exec(readFileSync(join(CORPUS, file), 'utf8'))?.[1]?.trim() ?? '';
      return { file, dir, expected, result };
    }),
    4,
  );
  const failures = results.flatMap(({ file, dir, expected, result }) => {
    const problems: string[] = [];
    if (result.code !== 2) problems.push(`exit ${result.code}, expected 2`);
    if (expected && !result.stderr.includes(`${expected}:`))
      problems.push(`message does not name ${expected}`);
    if (!expected && result.stderr.trim() === '') problems.push('no message');
    if (result.stderr.includes('unexpected error')) problems.push('reported as an unexpected error');
    // `.tmp` is the process's TMPDIR (see cliEnv): the folder is the harness's, a file in it would be restlake's.
    const written = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f !== 'pipeline.yaml' && f !== '.tmp',
    );
    if (written.length > 0 || existsSync(join(dir, 'restlake.duckdb')))
      problems.push(`wrote ${written.join(', ')}`);
    return problems.length > 0 ? [`${file}: ${problems.join('; ')}\n${result.stderr}`] : [];
  });
  process.stdout.write(`bad inputs: ${files.length - failures.length} of ${files.length} rejected cleanly\n`);
  expect(failures, failures.join('\n')).toEqual([]);
  // One CLI process per file: a minute on a quiet 2-core machine, more when it is busy.
}, 300_000);
