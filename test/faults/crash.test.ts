import { afterAll, describe, expect, test } from 'vitest';
import type { FailpointName } from '../../src/core/failpoint.js';
import { seeded } from '../../src/sample-api/datasets.js';
import { cli } from '../support/cli.js';
import { type FaultApi, type FaultRecord, startFaultApi } from '../support/fault-api.js';
import { faultDestinations } from '../support/fault-destinations.js';
import { rows, withWorkspace } from '../support/run.js';
import { tempDir, writePipeline } from '../support/workspace.js';

/**
 * Crashes: a real `restlake run` process is killed with SIGKILL — at an exact failpoint (inside a commit,
 * during a replace swap, ...) or after a seeded random delay — and then run again as a user would. The end
 * state must equal the truth (no lost rows, no duplicates) and no control row may stay stuck.
 *
 * RESTLAKE_CRASH_TRIALS sets how many random-time trials run per destination (`npm run test:faults -- --trials N`).
 */

const RANDOM_TRIALS = Number(process.env.RESTLAKE_CRASH_TRIALS ?? 6);
const RECORDS = 600;
const PAGE_SIZE = 20;
const BATCH = 60;
const DISPOSITIONS = ['replace', 'append', 'merge'] as const;
type Write = (typeof DISPOSITIONS)[number];

interface Trial {
  name: string;
  write: Write;
  kill: { failpoint: FailpointName; hit: number } | { afterMs: number };
}

const FAILPOINTS: Array<{ name: FailpointName; hits: number; at?: number; writes?: readonly Write[] }> = [
  // The second set of migrations of a fresh database is the control plane's (the destination's comes first).
  { name: 'migrations.applied', hits: 2, at: 2, writes: ['merge'] },
  { name: 'page.fetched', hits: RECORDS / PAGE_SIZE },
  { name: 'batch.committing', hits: RECORDS / BATCH },
  { name: 'batch.committed', hits: RECORDS / BATCH },
  { name: 'replace.swapping', hits: 1, writes: ['replace'] },
  { name: 'load.finished', hits: 1 },
];

function trials(seed: number): Trial[] {
  const random = seeded(seed);
  const list: Trial[] = [];
  for (const point of FAILPOINTS) {
    for (const write of point.writes ?? DISPOSITIONS) {
      const hit = point.at ?? 1 + Math.floor(random() * point.hits);
      list.push({ name: `${point.name}#${hit} × ${write}`, write, kill: { failpoint: point.name, hit } });
    }
  }
  for (let i = 0; i < RANDOM_TRIALS; i++) {
    const write = DISPOSITIONS[i % DISPOSITIONS.length]!;
    const afterMs = 150 + Math.floor(random() * 1_200);
    list.push({ name: `random ${afterMs}ms × ${write}`, write, kill: { afterMs } });
  }
  return list;
}

const tmp = tempDir();
const results = { run: 0, passed: 0 };
afterAll(async () => {
  tmp.cleanup();
  for (const destination of faultDestinations()) await destination.cleanup();
  process.stdout.write(`crash trials: ${results.run} run, ${results.passed} passed\n`);
});

function comparable(r: Record<string, unknown> | FaultRecord): string {
  return JSON.stringify([Number(r.id), Number((r as { version: unknown }).version)]);
}

let n = 0;
for (const destination of faultDestinations()) {
  describe.skipIf(destination.skip)(`crash trials on ${destination.name}`, () => {
    for (const trial of trials(4242)) {
      test(trial.name, async () => {
        results.run++;
        const api: FaultApi = await startFaultApi({
          seed: ++n,
          records: RECORDS,
          pageSize: PAGE_SIZE,
          faults: [],
          latencyMs: 3,
        });
        try {
          const id = `crash_${destination.name}_${n}`;
          const target = await destination.prepare(id);
          const file = writePipeline(tmp.dir, `${id}.yaml`, {
            id,
            source: { base_url: api.url, retry: { max_attempts: 3, initial_delay: '1ms' } },
            resources: [
              {
                name: 'items',
                endpoint: { path: '/items' },
                records: 'data',
                paginator: { type: 'page_number', page_size: PAGE_SIZE },
                ...(trial.write === 'append' ? {} : { primary_key: ['id'] }),
                write: trial.write,
              },
            ],
            destination: target,
            batch_size: BATCH,
          });

          // The first run dies (unless it finished before its moment came).
          const killed =
            'failpoint' in trial.kill
              ? await cli(['run', file], {
                  cwd: tmp.dir,
                  env: { RESTLAKE_FAILPOINT: `${trial.kill.failpoint}:${trial.kill.hit}` },
                })
              : await cli(['run', file], { cwd: tmp.dir, killAfterMs: trial.kill.afterMs });
          if ('failpoint' in trial.kill) expect(killed.signal).toBe('SIGKILL');

          // Then the user runs it again, until it succeeds.
          let last = killed;
          for (let attempt = 0; attempt < 3 && (last.signal || last.code !== 0); attempt++) {
            last = await cli(['run', file], { cwd: tmp.dir });
          }
          expect(last.code, last.stderr + last.stdout).toBe(0);

          await withWorkspace(target, tmp.dir, async (ws) => {
            const loads = await ws.control.loads(id, 100);
            expect(loads.filter((l) => l.LoadStatus === 'RUNNING' || l.LoadStatus === 'FAILED')).toEqual([]);
            const successes = loads.filter((l) => l.LoadStatus === 'SUCCESS').length;
            const silver = (await rows(ws, `SELECT id, version FROM main.items`)).map(comparable).sort();
            const pass = api.truth().map(comparable);
            const expected =
              trial.write === 'append' ? Array.from({ length: successes }, () => pass).flat() : pass;
            expect(silver).toEqual(expected.sort());
            // A load killed mid-way gets an audit row for the attempt that died (a random kill may land before
            // the claim or after the success, where there is none to write).
            if ('failpoint' in trial.kill && trial.kill.failpoint !== 'migrations.applied') {
              const audits = await ws.control.audits(id, 100);
              expect(audits.some((a) => /stopped without finishing/.test(a.ErrorMessage ?? ''))).toBe(true);
            }
          });
          results.passed++;
        } finally {
          await api.close();
        }
      });
    }
  });
}
