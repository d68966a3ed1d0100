import { ancestorsOf } from '../config/extraction-rules.js';
import type { PipelineConfig, ResourceConfig } from '../config/schema.js';
import { type Clock, systemClock } from '../core/clock.js';
import { type ErrorCode, toRestlakeError } from '../core/errors.js';
import { extractPages, planLoadWindows } from '../extract/load-pages.js';
import type { RecordSelector } from '../extract/records.js';
import { HttpClient, type HttpResponse } from '../http/client.js';
import { type Diagnosis, diagnose } from '../http/diagnose.js';
import { rateLimitHeaders } from '../http/server-signals.js';

/** The outcome of one health-check call. */
export interface Probe {
  config: string;
  /** The resource whose first page was fetched, or `health_check`. */
  target: string;
  auth: string;
  ok: boolean;
  status: number | undefined;
  latencyMs: number | undefined;
  /** Records on the first page (undefined for a health endpoint). */
  records: number | undefined;
  /** Rate-limit headers the API sent, as sent. */
  rateLimit: Record<string, string>;
  failure: (Diagnosis & { code: ErrorCode }) | undefined;
}

/** Windowed resources are checked over the last day: small, and recent enough to exist. */
const CHECK_WINDOW_MS = 86_400_000;

/**
 * `restlake check`: calls a pipeline's source once per resource (its first page), or once at
 * `source.health_check`, with a single attempt each, and reports what happened. Never throws for a failed
 * call: the probe says why it failed.
 */
export async function checkPipeline(
  config: PipelineConfig,
  options: { clock?: Clock; parsers?: ReadonlyMap<string, RecordSelector> } = {},
): Promise<Probe[]> {
  const { clock = systemClock, parsers } = options;
  // The latest response, whatever the request that got it (the health call, or a first page).
  const seen: { last?: HttpResponse | undefined } = {};
  const source = { ...config.source, retry: { ...config.source.retry, max_attempts: 1 } };
  const client = new HttpClient(source, {
    clock,
    onResponse: (response) => {
      seen.last = response;
    },
  });
  const latest = (): HttpResponse | undefined => seen.last;
  const probe = async (target: string, call: () => Promise<number | undefined>): Promise<Probe> => {
    seen.last = undefined;
    const base = { config: config.id, target, auth: client.authMethod };
    try {
      const records = await call();
      return {
        ...base,
        ok: true,
        status: latest()?.status,
        latencyMs: latest()?.latencyMs,
        records,
        rateLimit: rateLimitHeaders(latest()?.headers ?? {}),
        failure: undefined,
      };
    } catch (caught) {
      const error = toRestlakeError(caught);
      return {
        ...base,
        ok: false,
        status: typeof error.context.status === 'number' ? error.context.status : latest()?.status,
        latencyMs: latest()?.latencyMs ?? client.log.records().at(-1)?.latencyMs,
        records: undefined,
        rateLimit: rateLimitHeaders(latest()?.headers ?? {}),
        failure: { ...diagnose(error), code: error.code },
      };
    }
  };
  try {
    const health = config.source.health_check;
    if (health) {
      const query = Object.fromEntries(Object.entries(health.params).map(([k, v]) => [k, String(v)]));
      return [
        await probe('health_check', async () => {
          await client.request({ method: health.method, path: health.path, query });
          return undefined;
        }),
      ];
    }
    const probes: Probe[] = [];
    for (const resource of config.resources) {
      probes.push(await probe(resource.name, () => firstPage(config, resource, client, clock, parsers)));
    }
    return probes;
  } finally {
    await client.close();
  }
}

/** Fetches a resource's first page (of its latest window; of its first parent record's stream) and counts its records. */
async function firstPage(
  config: PipelineConfig,
  resource: ResourceConfig,
  client: HttpClient,
  clock: Clock,
  parsers: ReadonlyMap<string, RecordSelector> | undefined,
): Promise<number> {
  const end = clock.now();
  const since = end.getTime() - CHECK_WINDOW_MS;
  const start = new Date(
    resource.incremental ? Math.max(Date.parse(resource.incremental.start), since) : since,
  );
  const timed = resource.incremental !== undefined || resource.window !== undefined;
  const windows = planLoadWindows(resource, timed ? { start, end } : { start: null, end: null }).slice(-1);
  const pages = extractPages(resource, client, {
    windows,
    ancestors: ancestorsOf(config.resources, resource),
    maxConcurrency: 1,
    // One page is all a check reads: no request for the next one.
    noLookahead: true,
    now: () => clock.now(),
    parsers,
  });
  try {
    const first = await pages.next();
    return first.done ? 0 : first.value.records.length;
  } finally {
    await pages.return(undefined);
  }
}
