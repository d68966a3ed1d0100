import { afterAll, beforeEach, describe, expect, test } from 'vitest';
import type { LoadSpec } from '../../src/control/store.js';
import type { Workspace } from '../../src/pipeline/runner.js';
import { withWorkspace } from '../support/run.js';
import { tempDir } from '../support/workspace.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function spec(overrides: Partial<LoadSpec> = {}): LoadSpec {
  return {
    ConfigId: 'shop',
    ResourceName: 'customers',
    APIName: 'Shop',
    APIEndpoint: '/customers',
    RequestPayload: '{}',
    AuthMethod: 'bearer',
    TargetCatalog: 'db',
    TargetSchema: 'main',
    TargetTable: 'customers',
    PrimaryColumn: 'id',
    DeltaColumn: null,
    TriggerFrequency: null,
    incrementalStart: undefined,
    lagMs: 0,
    nextTrigger: () => undefined,
    ...overrides,
  };
}

const t0 = new Date('2025-01-01T00:00:00Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const claimAs = (ws: Workspace, owner: string, minutes: number, extra = {}) =>
  ws.control.claim({
    owner,
    runId: `run-${owner}-${minutes}`,
    leaseMs: 10 * 60_000,
    now: at(minutes),
    ...extra,
  });

// Each test gets its own DuckDB file, walking one path through the state machine against real tables.
let n = 0;
let run: <T>(fn: (ws: Workspace) => Promise<T>) => Promise<T>;
beforeEach(() => {
  const path = tmp.path(`control-${++n}.duckdb`);
  run = (fn) => withWorkspace({ type: 'duckdb', path }, tmp.dir, fn);
});

describe('control store transitions', () => {
  test('a new config starts FULL_LOAD PENDING; planning twice plans nothing twice', () =>
    run(async (ws) => {
      const first = await ws.control.plan([spec()], at(0));
      expect(first).toHaveLength(1);
      expect(first[0]).toMatchObject({
        LoadType: 'FULL_LOAD',
        LoadStatus: 'PENDING',
        AttemptCount: 0,
        ConfigId: 'shop',
      });
      expect(await ws.control.plan([spec()], at(1))).toHaveLength(0);
    }));

  test('claim: PENDING → RUNNING under a lease, counting the attempt', () =>
    run(async (ws) => {
      await ws.control.plan([spec()], at(0));
      const claim = await claimAs(ws, 'w1', 1);
      expect(claim?.row).toMatchObject({
        LoadStatus: 'RUNNING',
        LeaseOwner: 'w1',
        AttemptCount: 1,
        LastJobRunId: 'run-w1-1',
      });
      expect(claim?.row.LeaseExpiresAt?.toISOString()).toBe(at(11).toISOString());
      expect(claim?.takenOverFrom).toBeUndefined();
      expect(await claimAs(ws, 'w2', 2), 'a leased load is not claimable').toBeUndefined();
    }));

  test('succeed: RUNNING → SUCCESS, and the next load is planned', () =>
    run(async (ws) => {
      await ws.control.plan([spec()], at(0));
      const claim = (await claimAs(ws, 'w1', 1))!;
      const next = (await ws.control.succeed(claim.row, 'w1', spec(), null, at(2)))!;
      expect(next).toMatchObject({ LoadType: 'FULL_LOAD', LoadStatus: 'PENDING' });
      const [latest, done] = await ws.control.loads('shop');
      expect(done).toMatchObject({ LoadStatus: 'SUCCESS', LeaseOwner: null, ErrorMessage: null });
      expect(latest!.IndexNo).toBe(next.IndexNo);
    }));

  test('an incremental resource goes FULL_LOAD → INCREMENTAL from the high-water mark minus the lag', () =>
    run(async (ws) => {
      const incremental = spec({
        incrementalStart: new Date('2024-01-01T00:00:00Z'),
        lagMs: 3_600_000,
        DeltaColumn: 'updated_at',
      });
      const [first] = await ws.control.plan([incremental], at(0));
      expect(first).toMatchObject({ LoadType: 'FULL_LOAD' });
      expect(first!.LoadStartTime?.toISOString()).toBe('2024-01-01T00:00:00.000Z');
      const claim = (await claimAs(ws, 'w1', 1))!;
      expect(claim.row.LoadEndTime?.toISOString(), 'the window end is fixed at the first claim').toBe(
        at(1).toISOString(),
      );
      const next = (await ws.control.succeed(
        claim.row,
        'w1',
        incremental,
        new Date('2024-06-01T12:00:00Z'),
        at(2),
      ))!;
      expect(next.LoadType).toBe('INCREMENTAL');
      expect(next.LoadStartTime?.toISOString()).toBe('2024-06-01T11:00:00.000Z');
      expect(next.LastLoadTime?.toISOString()).toBe('2024-06-01T12:00:00.000Z');
    }));

  test('fail: RUNNING → FAILED with the reason; retry: FAILED → PENDING, same window', () =>
    run(async (ws) => {
      await ws.control.plan([spec({ incrementalStart: t0 })], at(0));
      const claim = (await claimAs(ws, 'w1', 1))!;
      await ws.control.fail(claim.row, 'w1', 'GET /customers answered 500', at(2));
      const [failed] = await ws.control.loads('shop');
      expect(failed).toMatchObject({
        LoadStatus: 'FAILED',
        ErrorMessage: 'GET /customers answered 500',
        LeaseOwner: null,
      });
      expect(
        await ws.control.plan([spec()], at(3)),
        'a FAILED load is still open: nothing new is planned',
      ).toHaveLength(0);
      expect(await ws.control.retry('shop', at(4))).toBe(1);
      const again = (await claimAs(ws, 'w2', 5))!;
      expect(again.row).toMatchObject({ IndexNo: claim.row.IndexNo, AttemptCount: 2, LoadStatus: 'RUNNING' });
      expect(again.row.LoadEndTime?.toISOString(), 'the retried load keeps its window').toBe(
        claim.row.LoadEndTime?.toISOString(),
      );
    }));

  test('release: RUNNING → PENDING hands the load back', () =>
    run(async (ws) => {
      await ws.control.plan([spec()], at(0));
      const claim = (await claimAs(ws, 'w1', 1))!;
      await ws.control.release(claim.row, 'w1', at(2));
      expect((await claimAs(ws, 'w2', 3))?.row.IndexNo).toBe(claim.row.IndexNo);
    }));

  test('a RUNNING load whose lease expired is claimable again, and says whose it was', () =>
    run(async (ws) => {
      await ws.control.plan([spec()], at(0));
      await claimAs(ws, 'crashed', 1);
      expect(await claimAs(ws, 'w2', 5)).toBeUndefined();
      const taken = (await claimAs(ws, 'w2', 12))!;
      expect(taken.takenOverFrom).toBe('crashed');
      expect(taken.row).toMatchObject({ LeaseOwner: 'w2', AttemptCount: 2 });
      await expect(ws.control.fail(taken.row, 'crashed', 'late', at(13))).rejects.toThrow(/held by w2/);
      // The dead attempt wrote no audit row; the takeover wrote one for it.
      const [abandoned] = await ws.control.audits('shop');
      expect(abandoned).toMatchObject({ Attempt: 1, LoadStatus: 'FAILED', LoadedBy: 'crashed' });
      expect(abandoned?.ErrorMessage).toMatch(/\(crashed\) stopped without finishing it.*taken over by w2/);
    }));

  test('transitions are idempotent: applying one twice changes nothing', () =>
    run(async (ws) => {
      await ws.control.plan([spec()], at(0));
      const claim = (await claimAs(ws, 'w1', 1))!;
      await ws.control.fail(claim.row, 'w1', 'boom', at(2));
      await ws.control.fail(claim.row, 'w1', 'boom', at(3));
      expect(await ws.control.retry('shop', at(4))).toBe(1);
      expect(await ws.control.retry('shop', at(5))).toBe(0);
    }));

  test('a transition that does not apply is refused with the reason', () =>
    run(async (ws) => {
      await ws.control.plan([spec()], at(0));
      const claim = (await claimAs(ws, 'w1', 1))!;
      await ws.control.succeed(claim.row, 'w1', spec(), null, at(2));
      await expect(ws.control.fail(claim.row, 'w1', 'too late', at(3))).rejects.toThrow(
        /is SUCCESS; "fail" applies only to RUNNING/,
      );
    }));

  test('SELECT ConfigId, LoadType, LoadStatus, LastLoadTime works as users write it', () =>
    run(async (ws) => {
      await ws.control.plan([spec()], at(0));
      const rows = await ws.destination
        .sql()
        .query('SELECT ConfigId, LoadType, LoadStatus, LastLoadTime FROM metadata.api_control_table');
      expect(rows).toEqual([
        { ConfigId: 'shop', LoadType: 'FULL_LOAD', LoadStatus: 'PENDING', LastLoadTime: null },
      ]);
    }));

  test('REBUILD rows: claimed only by their IndexNo, never followed, retried or in the way of planning', () =>
    run(async (ws) => {
      const [scheduled] = await ws.control.plan([spec()], at(0));
      const rebuild = await ws.control.planRebuild(spec(), at(1));
      expect(rebuild).toMatchObject({ LoadType: 'REBUILD', LoadStatus: 'PENDING' });
      const claimed = (await claimAs(ws, 'w1', 2))!;
      expect(claimed.row.IndexNo, 'a general claim takes the scheduled load').toBe(scheduled!.IndexNo);
      await ws.control.release(claimed.row, 'w1', at(2));
      const own = (await claimAs(ws, 'rb', 3, { indexNo: rebuild.IndexNo }))!;
      expect(own.row).toMatchObject({ LoadType: 'REBUILD', LoadStatus: 'RUNNING' });
      await ws.control.fail(own.row, 'rb', 'bronze is empty', at(4));
      expect(await ws.control.retry('shop', at(5)), 'a failed rebuild is not queued again').toBe(0);
      const second = await ws.control.planRebuild(spec(), at(6));
      const again = (await claimAs(ws, 'rb', 7, { indexNo: second.IndexNo }))!;
      expect(await ws.control.succeed(again.row, 'rb', spec(), null, at(8))).toBeUndefined();
      const open = await ws.destination
        .sql()
        .query(
          `SELECT LoadType, LoadStatus FROM metadata.api_control_table WHERE LoadStatus <> 'SUCCESS' ORDER BY IndexNo`,
        );
      expect(open).toEqual([
        { LoadType: 'FULL_LOAD', LoadStatus: 'PENDING' },
        { LoadType: 'REBUILD', LoadStatus: 'FAILED' },
      ]);
      expect(await ws.control.plan([spec()], at(9)), 'the scheduled load is still the open one').toEqual([]);
    }));
});
