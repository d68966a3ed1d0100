import { RestlakeError } from '../core/errors.js';

/** REBUILD: silver re-derived from bronze by `restlake rebuild`, without calling the API. */
export type LoadType = 'FULL_LOAD' | 'INCREMENTAL' | 'REBUILD';
export type LoadStatus = 'PENDING' | 'RUNNING' | 'SUCCESS' | 'FAILED';
export type AuditStatus = 'SUCCESS' | 'FAILED' | 'PARTIAL';

/**
 * Every transition of a control row. Each one is a guarded UPDATE (`WHERE LoadStatus IN (from)`), so applying
 * it twice changes nothing the second time, and a row can never skip a state.
 *
 * ```
 * PENDING ─claim─► RUNNING ─succeed─► SUCCESS          (the next load is planned as a new PENDING row)
 *    ▲                │  └──fail──► FAILED ─retry─► PENDING (same window; resumes from the checkpoint)
 *    └────release─────┘  (a worker stopping cleanly hands the load back)
 * RUNNING with an expired lease ─claim─► RUNNING (another worker takes over a crashed one's load)
 * ```
 *
 * A REBUILD row walks the same states, but only `restlake rebuild` claims it (by its IndexNo), a success plans
 * nothing after it, and a failed one is not queued again: the next rebuild is a new row.
 */
export const TRANSITIONS = {
  claim: { from: ['PENDING', 'RUNNING'], to: 'RUNNING' },
  succeed: { from: ['RUNNING'], to: 'SUCCESS' },
  fail: { from: ['RUNNING'], to: 'FAILED' },
  retry: { from: ['FAILED'], to: 'PENDING' },
  release: { from: ['RUNNING'], to: 'PENDING' },
} as const satisfies Record<string, { from: readonly LoadStatus[]; to: LoadStatus }>;

export type Transition = keyof typeof TRANSITIONS;

export function canTransition(transition: Transition, from: LoadStatus): boolean {
  return (TRANSITIONS[transition].from as readonly LoadStatus[]).includes(from);
}

export function assertTransition(transition: Transition, from: LoadStatus, indexNo: number): void {
  if (!canTransition(transition, from)) {
    throw new RestlakeError(
      'CONTROL',
      `load ${indexNo} is ${from}; "${transition}" applies only to ${TRANSITIONS[transition].from.join(' or ')} loads`,
    );
  }
}

/** What comes after a successful load: INCREMENTAL when the resource is incremental, otherwise FULL_LOAD again. */
export function nextLoadType(incremental: boolean): LoadType {
  return incremental ? 'INCREMENTAL' : 'FULL_LOAD';
}

/** Whether a successful load of this type plans the next load of its resource (a rebuild does not). */
export function plansNext(loadType: LoadType): boolean {
  return loadType !== 'REBUILD';
}

/** Loads that `run`, `retry` and workers pick up and plan after: all but rebuilds. */
export const SCHEDULED_LOAD_TYPES: readonly LoadType[] = ['FULL_LOAD', 'INCREMENTAL'];
