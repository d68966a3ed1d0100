import { Cron } from 'croner';
import type { PipelineConfig, ResourceConfig } from '../config/schema.js';
import type { LoadSpec } from '../control/store.js';
import { redact } from '../core/redact.js';
import type { Destination } from '../destinations/types.js';
import { authMethodName } from '../http/auth/index.js';

/** The silver table a resource writes. */
export function tableOf(resource: ResourceConfig): string {
  return resource.table ?? resource.name;
}

/** What the control table records about a resource's loads, from the pipeline file as it is now. */
export function loadSpec(
  config: PipelineConfig,
  resource: ResourceConfig,
  destination: Destination,
): LoadSpec {
  const cron = config.schedule
    ? new Cron(config.schedule.cron, { paused: true, timezone: 'UTC' })
    : undefined;
  const { endpoint } = resource;
  return {
    ConfigId: config.id,
    ResourceName: resource.name,
    APIName: config.api ?? config.id,
    APIEndpoint: endpoint.path || '/',
    RequestPayload: redact(
      JSON.stringify({
        method: endpoint.method,
        params: endpoint.params,
        ...(endpoint.body === undefined ? {} : { body: endpoint.body }),
      }),
    ),
    AuthMethod: authMethodName(config.source.auth),
    TargetCatalog: destination.catalog,
    TargetSchema: destination.schema,
    TargetTable: tableOf(resource),
    PrimaryColumn: resource.primary_key?.join(',') ?? null,
    DeltaColumn: resource.incremental?.cursor_field ?? null,
    TriggerFrequency: config.schedule?.cron ?? null,
    incrementalStart: resource.incremental ? new Date(resource.incremental.start) : undefined,
    lagMs: resource.incremental?.lag ?? 0,
    windowStart: resource.window?.start ? new Date(resource.window.start) : undefined,
    nextTrigger: (from) => cron?.nextRun(from) ?? undefined,
  };
}
