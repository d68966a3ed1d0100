import { afterAll, describe, expect, test } from 'vitest';
import type { LoadOutcome } from '../../src/pipeline/run-load.js';
import {
  type Fault,
  type FaultApi,
  type FaultRecord,
  type Pagination,
  startFaultApi,
} from '../support/fault-api.js';
import { faultDestinations } from '../support/fault-destinations.js';
import { rows, runYaml, withWorkspace } from '../support/run.js';
import { tempDir } from '../support/workspace.js';

/**
 * End state equals the truth: for every fault mix, destination and write disposition, run the load (and run it
 * again while it fails), then compare the silver table with the API's ground truth, row by row and value by
 * value, and check that the control and audit rows tell what happened.
 */

interface Mix {
  name: string;
  faults: Fault[];
  pagination: Pagination;
}

const MIXES: Mix[] = [
  {
    name: 'transport',
    faults: ['burst_5xx', 'reset_mid_body', 'invalid_json', 'truncated_json', 'empty_body', 'html_error'],
    pagination: 'page_number',
  },
  { name: 'slow-and-limited', faults: ['slow', 'rate_limited', 'burst_5xx'], pagination: 'offset' },
  { name: 'data', faults: ['duplicate_across_pages', 'type_change', 'record_changes'], pagination: 'cursor' },
  { name: 'repeated-cursor', faults: ['repeated_cursor', 'burst_5xx'], pagination: 'cursor' },
  {
    name: 'everything',
    faults: [
      'burst_5xx',
      'rate_limited',
      'reset_mid_body',
      'invalid_json',
      'empty_body',
      'slow',
      'repeated_cursor',
      'duplicate_across_pages',
      'type_change',
      'record_changes',
    ],
    pagination: 'cursor',
  },
];
const DISPOSITIONS = ['replace', 'append', 'merge'] as const;
const RECORDS = 400;
const PAGE_SIZE = 20;
const MAX_RUNS = 8;

const PAGINATORS: Record<Pagination, Record<string, unknown>> = {
  page_number: { type: 'page_number', page_size: PAGE_SIZE },
  offset: { type: 'offset', limit: PAGE_SIZE },
  cursor: { type: 'cursor', cursor_path: 'next_cursor' },
};

const tmp = tempDir();
const results = { run: 0, passed: 0 };
afterAll(async () => {
  tmp.cleanup();
  for (const destination of faultDestinations()) await destination.cleanup();
  process.stdout.write(
    `fault mixes × destinations × dispositions: ${results.run} run, ${results.passed} passed\n`,
  );
});
let n = 0;

/** A comparable form of a silver row or a truth record: every value as the text a user would read. */
function comparable(record: Partial<FaultRecord> | Record<string, unknown>, loose?: number): string {
  const r = record as Record<string, unknown>;
  // A record that changed while an append load ran was read in either version: only its key is certain.
  if (loose !== undefined && Number(r.id) === loose) return JSON.stringify([loose]);
  const profile = (r.profile ?? {}) as Record<string, unknown>;
  const tags = typeof r.tags === 'string' ? JSON.parse(r.tags) : (r.tags ?? []);
  return JSON.stringify([
    Number(r.id),
    r.name,
    Number(r.amount),
    Number(r.version),
    new Date(String(r.updated_at)).toISOString(),
    tags,
    r.profile__tier ?? profile.tier,
    Number(r.profile__score ?? profile.score),
  ]);
}

const sorted = (items: string[]) => [...items].sort();

for (const destination of faultDestinations()) {
  describe.skipIf(destination.skip)(`fault mixes on ${destination.name}`, () => {
    for (const mix of MIXES) {
      for (const write of DISPOSITIONS) {
        test(`${mix.name} × ${write}`, async () => {
          results.run++;
          const seed = 1_000 + ++n;
          const api = await startFaultApi({
            seed,
            records: RECORDS,
            pageSize: PAGE_SIZE,
            faults: mix.faults,
            slowMs: 1_500,
          });
          try {
            const id = `faults_${destination.name}_${n}`;
            const target = await destination.prepare(id);
            const pipeline = {
              id,
              source: {
                base_url: api.url,
                timeout: '500ms',
                retry: { max_attempts: 3, initial_delay: '1ms', max_delay: '20ms' },
              },
              resources: [
                {
                  name: 'items',
                  endpoint: { path: '/items' },
                  records: 'data',
                  paginator: PAGINATORS[mix.pagination],
                  ...(write === 'append' ? {} : { primary_key: ['id'] }),
                  write,
                  schema: { updated_at: 'timestamp', tags: 'json' },
                },
              ],
              destination: target,
              batch_size: 45,
            };
            const outcomes: LoadOutcome[] = [];
            // Run as a user would after a failure: again, until the load succeeds.
            const untilSuccess = async () => {
              for (let run = 0; run < MAX_RUNS; run++) {
                const [outcome] = await runYaml(tmp.dir, pipeline);
                outcomes.push(outcome!);
                if (outcome!.status === 'SUCCESS') return;
              }
              throw new Error(
                `no success in ${MAX_RUNS} runs:\n${outcomes.map((o) => o.error?.message).join('\n')}`,
              );
            };
            await untilSuccess();
            let succeeded = 1;
            // A record that changed after its page was read is stale until the next load: load once more.
            if (mix.faults.includes('record_changes') && write !== 'append') {
              await untilSuccess();
              succeeded++;
            }
            expect(api.pending(), 'every fault of the mix struck').toEqual([]);

            await withWorkspace(target, tmp.dir, async (ws) => {
              const silver = await rows(ws, destination.selectItems(target));
              const loose = write === 'append' ? api.changedId() : undefined;
              const got = silver.map((row) => comparable(row, loose));
              const expected =
                write === 'append' ? appendTruth(api, succeeded) : api.truth().map((r) => comparable(r));
              expect(sorted(got)).toEqual(sorted(expected));

              const loads = await ws.control.loads(id, 100);
              expect(loads.filter((l) => l.LoadStatus === 'RUNNING' || l.LoadStatus === 'FAILED')).toEqual(
                [],
              );
              const audits = await ws.control.audits(id, 100);
              expect(audits).toHaveLength(outcomes.length);
              for (const audit of audits.filter((a) => a.LoadStatus !== 'SUCCESS')) {
                expect(audit.ErrorMessage, `attempt ${audit.Attempt} says why it failed`).toBeTruthy();
              }
              const struck = api.log.filter((r) => r.fault).length;
              const retried = audits.reduce((sum, a) => sum + Number(a.RetryCount), 0);
              const failedAttempts = audits.filter((a) => a.LoadStatus !== 'SUCCESS').length;
              if (struck > 0) expect(retried + failedAttempts).toBeGreaterThan(0);
            });
            results.passed++;
          } finally {
            await api.close();
          }
        });
      }
    }
  });
}

/**
 * Append keeps every row a load fetched: after k successful loads, each page's rows k times (a record the API
 * puts on two pages, twice per load), whatever crashed or failed on the way.
 */
function appendTruth(api: FaultApi, loads: number): string[] {
  const pass = api.onePass().map((r) => comparable(r, api.changedId()));
  return Array.from({ length: loads }, () => pass).flat();
}
