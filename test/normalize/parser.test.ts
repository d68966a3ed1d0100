import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { cli } from '../support/cli.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';
import { localPipeline } from './support.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A body no `records` path can express: the records are the values of an object keyed by id. */
const BODY = {
  problems: {
    'P-1': { title: 'Disk full', severity: 'high', opened: 1_709_287_200 },
    'P-2': { title: 'Slow query', severity: 'low', opened: 1_709_290_800 },
  },
};

// A real TypeScript module: types, an interface, an `as` cast and a typed import from restlake's public API.
const PARSER = `
import type { RecordParser } from 'restlake';

interface Problem {
  title: string;
  severity: 'high' | 'low';
  opened: number;
}

export const parse: RecordParser = (body) => {
  const problems = (body as { problems: Record<string, Problem> }).problems;
  return Object.entries(problems).map(([id, problem]: [string, Problem]) => ({ id, ...problem }));
};

export default parse;
`;

let server: ScriptedServer;
beforeAll(async () => {
  server = await scriptedServer((req) =>
    req.path.endsWith('/notes') ? { body: [{ note: `about ${req.path.split('/')[2]}` }] } : { body: BODY },
  );
  mkdirSync(join(tmp.dir, 'parsers'), { recursive: true });
  writeFileSync(join(tmp.dir, 'parsers', 'problems.ts'), PARSER);
});
afterAll(() => server.close());

function pipeline(parser: string) {
  const resource = { name: 'problems', endpoint: {}, parser, schema: { opened: 'timestamp' } };
  return localPipeline(tmp.dir, 'parser', server.url, resource);
}

describe('a TypeScript parser plugin', () => {
  test('turns each body into records, loaded without a build step', async () => {
    const p = pipeline('./parsers/problems.ts#parse');
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome).toMatchObject({ status: 'SUCCESS', sourceRows: 2, totalRows: 2 });
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(
        await rows(ws, 'SELECT id, title, severity, epoch(opened) AS opened FROM main.problems ORDER BY id'),
      ).toEqual([
        { id: 'P-1', title: 'Disk full', severity: 'high', opened: 1_709_287_200 },
        { id: 'P-2', title: 'Slow query', severity: 'low', opened: 1_709_290_800 },
      ]);
    });
  });

  test('the default export is used without #name', async () => {
    const [outcome] = await runYaml(tmp.dir, pipeline('./parsers/problems.ts').yaml);
    expect(outcome).toMatchObject({ status: 'SUCCESS', totalRows: 2 });
  });

  test('a child of a resource with a parser walks the records the parser finds', async () => {
    const p = pipeline('./parsers/problems.ts#parse');
    const notes = { name: 'notes', parent: 'problems', endpoint: { path: '/problems/{parent.id}/notes' } };
    const yaml = { ...p.yaml, resources: [...p.yaml.resources, { ...notes, parent_fields: ['id'] }] };
    const outcomes = await runYaml(tmp.dir, yaml);
    expect(outcomes.find((o) => o.resource === 'notes')).toMatchObject({ status: 'SUCCESS', totalRows: 2 });
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(await rows(ws, 'SELECT _parent_id, note FROM main.notes ORDER BY _parent_id')).toEqual([
        { _parent_id: 'P-1', note: 'about P-1' },
        { _parent_id: 'P-2', note: 'about P-2' },
      ]);
    });
  });

  test('restlake check counts the records the parser finds on the first page', async () => {
    const p = pipeline('./parsers/problems.ts#parse');
    const result = await cli(['check', p.file, '--json'], { cwd: tmp.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject([{ target: 'problems', ok: true, records: 2 }]);
  });

  test.each([
    [
      './parsers/missing.ts#parse',
      /resources\[0\]\.parser: parser module \.\/parsers\/missing\.ts not found/,
    ],
    [
      './parsers/problems.ts#parseAll',
      /resources\[0\]\.parser: .*has no exported function "parseAll" \(it exports default, parse\)/,
    ],
  ])('%s is a config error naming the key, before anything is written', async (parser, message) => {
    const p = pipeline(parser);
    const error = await runYaml(tmp.dir, p.yaml).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect(existsSync(String(p.destination.path)), 'no database was created').toBe(false);
  });
});
