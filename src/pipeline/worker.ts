import { randomUUID } from 'node:crypto';
import type { LoadedPipeline } from '../config/load.js';
import type { ControlRow } from '../control/store.js';
import { type Clock, systemClock } from '../core/clock.js';
import { describeError, isRestlakeError } from '../core/errors.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { type ControlGroup, type Fleet, openFleet } from './fleet.js';
import { type LoadOutcome, type ProgressEvent, runLoad } from './run-load.js';
import { deadLocalOwners, PROCESS_OWNER } from './runner.js';
import { loadSpec } from './spec.js';

export interface PlanOptions {
  clock?: Clock;
  /** Queue FAILED loads again too (they resume from their checkpoints). */
  retryFailed?: boolean;
}

export interface PlanResult {
  /** Rows inserted, or PENDING rows made due now. */
  planned: ControlRow[];
  /** FAILED loads queued again. */
  requeued: number;
}

/**
 * `restlake plan`: makes a load of every resource of these pipelines due in its control plane, for workers to
 * claim. Idempotent: a resource that already has an open load gets nothing new.
 */
export async function planPipelines(
  pipelines: readonly LoadedPipeline[],
  options: PlanOptions = {},
): Promise<PlanResult> {
  const clock = options.clock ?? systemClock;
  const fleet = await openFleet(pipelines);
  try {
    const result: PlanResult = { planned: [], requeued: 0 };
    for (const group of fleet.groups) {
      for (const { config } of group.pipelines.values()) {
        if (options.retryFailed) result.requeued += await group.control.retry(config.id, clock.now());
        const destination = fleet.destinationOf(config.id);
        const specs = config.resources.map((resource) => loadSpec(config, resource, destination));
        result.planned.push(...(await group.control.plan(specs, clock.now())));
      }
    }
    return result;
  } finally {
    await fleet.close();
  }
}

export interface WorkerOptions {
  /** Loads this process runs at once. */
  concurrency?: number;
  /** How long a claimed load stays ours without a heartbeat; heartbeats come every third of it. */
  leaseMs?: number;
  /** How long to wait before looking again when nothing is due. */
  pollMs?: number;
  /** Return once nothing of these pipelines is due or running anywhere (tests, cron) instead of polling on. */
  exitWhenIdle?: boolean;
  /** Aborting stops claiming; a running load finishes or commits its current batch and is handed back. */
  signal?: AbortSignal;
  clock?: Clock;
  logger?: Logger;
  onProgress?: (event: ProgressEvent) => void;
  onOutcome?: (outcome: LoadOutcome) => void;
}

export const DEFAULT_WORKER_LEASE_MS = 60_000;
export const DEFAULT_POLL_MS = 5_000;

/**
 * `restlake worker`: claims due loads of these pipelines from their control planes (`FOR UPDATE SKIP LOCKED`
 * on PostgreSQL, so any number of workers on any number of machines share them), runs them `concurrency` at a
 * time under a lease kept alive by a heartbeat, and polls when there is nothing to do. A load whose worker died
 * is taken over when its lease expires and resumes from its checkpoint.
 */
export async function runWorker(
  pipelines: readonly LoadedPipeline[],
  options: WorkerOptions = {},
): Promise<LoadOutcome[]> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const leaseMs = options.leaseMs ?? DEFAULT_WORKER_LEASE_MS;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  const fleet = await openFleet(pipelines);
  const outcomes: LoadOutcome[] = [];
  try {
    logger.info(
      {
        owner: PROCESS_OWNER,
        pipelines: pipelines.length,
        concurrency: options.concurrency ?? 1,
      },
      'worker started',
    );
    const slot = async () => {
      while (!options.signal?.aborted) {
        try {
          const outcome = await claimAndRun(fleet, { ...options, clock, logger, leaseMs });
          if (outcome) {
            outcomes.push(outcome);
            options.onOutcome?.(outcome);
            continue;
          }
          if (options.exitWhenIdle && (await idle(fleet.groups, clock))) return;
        } catch (error) {
          // A control plane that is briefly unreachable (a restart, a failover) must not end a long-running
          // worker: a load it could not record stays RUNNING until its lease expires, and is taken over.
          if (!isRestlakeError(error) || error.kind !== 'retry') throw error;
          logger.warn({ err: describeError(error) }, 'control plane unavailable; trying again');
        }
        await clock.sleep(pollMs, options.signal).catch(() => {});
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 1) }, slot));
    logger.info({ loads: outcomes.length }, 'worker stopped');
    return outcomes;
  } finally {
    await fleet.close();
  }
}

/** Claims one due load from any control plane and runs it; undefined when none is due. */
async function claimAndRun(
  fleet: Fleet,
  options: WorkerOptions & { clock: Clock; logger: Logger; leaseMs: number },
): Promise<LoadOutcome | undefined> {
  for (const group of fleet.groups) {
    const configIds = [...group.pipelines.keys()];
    const claim = await group.control.claim({
      owner: PROCESS_OWNER,
      runId: randomUUID(),
      leaseMs: options.leaseMs,
      now: options.clock.now(),
      configIds,
      dueOnly: true,
      // A control plane in a DuckDB file admits this process alone: any other owner has died.
      takeOverOthers: !group.control.sql.dialect.multiProcess,
      // A worker restarted on the same machine (systemd, a crash loop) resumes its predecessor's load at once.
      deadOwners: deadLocalOwners(await group.control.runningOwners(configIds)),
    });
    if (!claim) continue;
    const pipeline = group.pipelines.get(claim.row.ConfigId)!;
    return runLoad(pipeline.config, claim, {
      control: group.control,
      destination: fleet.destinationOf(claim.row.ConfigId),
      owner: PROCESS_OWNER,
      leaseMs: options.leaseMs,
      clock: options.clock,
      logger: options.logger,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }
  return undefined;
}

async function idle(groups: readonly ControlGroup[], clock: Clock): Promise<boolean> {
  for (const group of groups) {
    if ((await group.control.outstanding([...group.pipelines.keys()], clock.now())) > 0) return false;
  }
  return true;
}
