import { loadPipelineFile } from '../../src/config/load.js';
import type { DestinationConfig } from '../../src/config/schema.js';
import { openWorkspace, type RunOptions, runPipeline, type Workspace } from '../../src/pipeline/runner.js';
import { writePipeline } from './workspace.js';

/** Writes a pipeline file, runs it, and returns the outcomes (what `restlake run` does, in-process). */
export async function runYaml(dir: string, pipeline: Record<string, unknown>, options: RunOptions = {}) {
  const file = writePipeline(dir, `${String(pipeline.id)}.yaml`, pipeline);
  return runPipeline(loadPipelineFile(file), options);
}

/** Opens the workspace of a destination for assertions, runs `fn`, closes it. */
export async function withWorkspace<T>(
  destination: DestinationConfig | Record<string, unknown>,
  dir: string,
  fn: (workspace: Workspace) => Promise<T>,
): Promise<T> {
  const { pipelineSchema } = await import('../../src/config/schema.js');
  const config = pipelineSchema.parse({
    id: 'probe',
    source: { base_url: 'http://127.0.0.1' },
    resources: [{ name: 'x', endpoint: {} }],
    destination,
  });
  const workspace = await openWorkspace(config.destination, dir);
  try {
    return await fn(workspace);
  } finally {
    await workspace.close();
  }
}

/** `SELECT ...` → rows with plain JS values. */
export async function rows(workspace: Workspace, sql: string): Promise<Record<string, unknown>[]> {
  return workspace.destination.sql().query(sql);
}
