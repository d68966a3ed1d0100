import { appendRequestLog, type RequestLogOwner } from '../control/request-log.js';
import type { ControlStore } from '../control/store.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { HttpClient } from '../http/client.js';

/**
 * Persists the request records of one load attempt. Telemetry must never fail a load whose data committed,
 * so a failure to write it is a warning.
 */
export async function saveRequestLog(
  control: ControlStore,
  owner: RequestLogOwner,
  client: HttpClient,
  log: Logger,
): Promise<void> {
  try {
    await appendRequestLog(control.sql, owner, client.log.records());
  } catch (error) {
    log.warn({ err: describeError(error) }, 'could not write the request log');
  }
}
