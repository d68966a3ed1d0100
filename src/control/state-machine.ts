import { RestlakeError } from '../core/errors.js';

export type LoadType = 'FULL_LOAD' | 'INCREMENTAL';
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
