/**
 * restlake's public API, for running pipelines from code and for tests of your own.
 *
 * @example
 * ```ts
 * import { loadPipelineFile, runPipeline } from 'restlake';
 * const outcomes = await runPipeline(loadPipelineFile('customers.yaml'));
 * if (outcomes.some((o) => o.status !== 'SUCCESS')) process.exitCode = 4;
 * ```
 */
export { type LoadedPipeline, loadPipelineFile, parsePipeline } from './config/load.js';
export type { PipelineConfig, PipelineInput, ResourceConfig } from './config/schema.js';
export type { AuditRow, ControlRow } from './control/store.js';
export { ConfigError, type ConfigIssue, type ErrorCode, HttpError, RestlakeError } from './core/errors.js';
export { createLogger, type Logger } from './core/logger.js';
export type { RecordParser } from './normalize/parser.js';
export type { LoadOutcome, ProgressEvent } from './pipeline/run-load.js';
export { openWorkspace, type RunOptions, runPipeline, type Workspace } from './pipeline/runner.js';
export { type SampleApi, type SampleApiOptions, startSampleApi } from './sample-api/server.js';
