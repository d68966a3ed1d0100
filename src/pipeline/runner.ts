import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type { LoadedPipeline } from '../config/load.js';
import type { ControlConfig, DestinationConfig, PipelineConfig } from '../config/schema.js';
import { type ControlRow, ControlStore } from '../control/store.js';
import { type Clock, systemClock } from '../core/clock.js';
import { type Logger, silentLogger } from '../core/logger.js';
import { processGone } from '../core/processes.js';
import { openControlDatabase, openDestination } from '../destinations/registry.js';
import type { Destination } from '../destinations/types.js';
import { loadParsers } from '../normalize/parser.js';
import { type LoadContext, type LoadOutcome, type ProgressEvent, runLoad } from './run-load.js';
import { loadSpec } from './spec.js';

export interface RunOptions {
  logger?: Logger;
  clock?: Clock;
  /** Loads of one pipeline run at once (each resource is its own load). */
  concurrency?: number;
  leaseMs?: number;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
  /**
   * Told, once the run is over, of this pipeline's loads that other processes were running under a live lease
   * (two `restlake run` started at once on a shared control plane: the loser hears who holds the load).
   */
  onRunningElsewhere?: (loads: readonly ControlRow[]) => void;
}

/** This process, as a lease owner: unique per process, readable in the control table. */
export const PROCESS_OWNER = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/**
 * The owners among `owners` that were processes of this machine and no longer exist: their loads need not
 * wait for their leases to expire. A process that merely looks gone (another PID namespace under the same host
 * name) costs no duplicate: the checkpoint fence stops the slower of two writers.
 */
export function deadLocalOwners(owners: readonly string[]): string[] {
  const host = hostname();
  return owners.filter((owner) => {
    const [ownerHost, pid] = owner.split(':');
    if (ownerHost !== host || !pid || !/^\d+$/.test(pid) || Number(pid) === process.pid) return false;
    return processGone(Number(pid));
  });
}

const DEFAULT_LEASE_MS = 5 * 60_000;

/** The destination and control plane of one pipeline file, opened together and closed together. */
export interface Workspace {
  destination: Destination;
  control: ControlStore;
  close(): Promise<void>;
}

/**
 * Opens a destination (relative paths resolve against `baseDir`) and the control plane: in the database
 * `control` names, or beside the data when it is omitted.
 */
export async function openWorkspace(
  config: DestinationConfig,
  baseDir: string,
  controlConfig?: ControlConfig,
): Promise<Workspace> {
  const destination = await openDestination(config, baseDir);
  let separate: Awaited<ReturnType<typeof openControlDatabase>> | undefined;
  const close = async () => {
    await separate?.close();
    await destination.close();
  };
  try {
    if (controlConfig) separate = await openControlDatabase(controlConfig, baseDir);
    const control = new ControlStore(separate?.sql ?? destination.sql());
    await control.migrate();
    return { destination, control, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * `restlake run`: plans the due loads of a pipeline (a new config starts with a FULL_LOAD; a FAILED load is
 * queued again and resumes from its checkpoint), then runs every PENDING load of it in this process.
 */
export async function runPipeline(loaded: LoadedPipeline, options: RunOptions = {}): Promise<LoadOutcome[]> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const parsers = await loadParsers(loaded.config, dirname(loaded.file), loaded.file);
  const workspace = await openWorkspace(
    loaded.config.destination,
    dirname(loaded.file),
    loaded.config.control,
  );
  try {
    const { config } = loaded;
    const { control, destination } = workspace;
    const requeued = await control.retry(config.id, clock.now());
    if (requeued > 0)
      logger.info({ config: config.id, loads: requeued }, 'retrying failed loads from their checkpoints');
    const specs = config.resources.map((resource) => loadSpec(config, resource, destination));
    await control.plan(specs, clock.now());
    const maxIndexNo = await control.lastIndexNo();
    const outcomes = await drain(config, workspace, maxIndexNo, { ...options, clock, logger, parsers });
    const elsewhere = (await control.running([config.id])).filter((row) => row.LeaseOwner !== PROCESS_OWNER);
    if (elsewhere.length > 0) options.onRunningElsewhere?.(elsewhere);
    return outcomes;
  } finally {
    await workspace.close();
  }
}

/** Claims and runs this pipeline's PENDING loads until none is left, `concurrency` at a time. */
async function drain(
  config: PipelineConfig,
  workspace: Workspace,
  maxIndexNo: number,
  options: RunOptions & { clock: Clock; logger: Logger; parsers: LoadContext['parsers'] },
): Promise<LoadOutcome[]> {
  const outcomes: LoadOutcome[] = [];
  const concurrency = Math.max(1, options.concurrency ?? Math.min(4, config.resources.length));
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const deadOwners = deadLocalOwners(await workspace.control.runningOwners([config.id]));
  const worker = async () => {
    for (;;) {
      if (options.signal?.aborted) return;
      const claim = await workspace.control.claim({
        owner: PROCESS_OWNER,
        runId: randomUUID(),
        leaseMs,
        now: options.clock.now(),
        configIds: [config.id],
        maxIndexNo,
        // A control plane in a DuckDB file admits one process: a RUNNING load there that is not ours belongs to
        // a process that died.
        takeOverOthers: !workspace.control.sql.dialect.multiProcess,
        deadOwners,
      });
      if (!claim) return;
      outcomes.push(
        await runLoad(config, claim, {
          control: workspace.control,
          destination: workspace.destination,
          owner: PROCESS_OWNER,
          leaseMs,
          clock: options.clock,
          logger: options.logger,
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.parsers ? { parsers: options.parsers } : {}),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return outcomes.sort((a, b) => a.row.IndexNo - b.row.IndexNo);
}
