import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { type ScriptedServer, scriptedServer } from '../support/scripted-server.js';
import { tempDir } from '../support/workspace.js';
import { columnTypes, localPipeline } from './support.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

let server: ScriptedServer;
beforeAll(async () => {
  server = await scriptedServer((req) => ({
    body: [
      { id: 1, updated_at: '2024-02-01T00:00:00Z', since: req.query.get('since') },
      { id: 2, updated_at: '2024-03-01T00:00:00Z', since: req.query.get('since') },
    ],
  }));
});
afterAll(() => server.close());

describe('metadata columns', () => {
  test('every row: run id, load time, source, page; window start and end on incremental loads', async () => {
    const p = localPipeline(tmp.dir, 'meta', server.url, {
      name: 'things',
      endpoint: { params: { since: '{window.start}' } },
      primary_key: ['id'],
      write: 'merge',
      incremental: { cursor_field: 'updated_at', start: '2024-01-01T00:00:00Z' },
    });
    const [outcome] = await runYaml(tmp.dir, p.yaml);
    expect(outcome?.status).toBe('SUCCESS');
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      const [load] = await ws.control.loads(p.id, 2).then((l) => l.filter((r) => r.LoadStatus === 'SUCCESS'));
      const found = await rows(
        ws,
        `SELECT id, _restlake_run_id AS run, _restlake_source AS source, _restlake_page AS page,
                epoch_ms(_restlake_window_start) AS ws, epoch_ms(_restlake_window_end) AS we,
                _restlake_loaded_at IS NOT NULL AS loaded
         FROM main.things ORDER BY id`,
      );
      const common = {
        run: load!.LastJobRunId,
        source: `${p.id}.things`,
        page: 0,
        ws: Date.parse('2024-01-01T00:00:00Z'),
        we: load!.LoadEndTime!.getTime(),
        loaded: true,
      };
      expect(found).toEqual([
        { id: 1, ...common },
        { id: 2, ...common },
      ]);
      // Restlake's columns come after the data's.
      expect(Object.keys(await columnTypes(ws, 'things'))).toEqual([
        'id',
        'updated_at',
        'since',
        '_restlake_page',
        '_restlake_window_start',
        '_restlake_window_end',
        '_restlake_run_id',
        '_restlake_loaded_at',
        '_restlake_source',
      ]);
    });
  });

  test('renamed, or left out with false', async () => {
    const p = localPipeline(tmp.dir, 'meta', server.url, {
      name: 'things',
      endpoint: {},
      metadata_columns: { run_id: 'etl_run', loaded_at: false, source: false, page: 'etl_page' },
    });
    await runYaml(tmp.dir, p.yaml);
    await withWorkspace(p.destination, tmp.dir, async (ws) => {
      expect(Object.keys(await columnTypes(ws, 'things'))).toEqual([
        'id',
        'updated_at',

        'etl_page',
        'etl_run',
      ]);
    });
  });
});
