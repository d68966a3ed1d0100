import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { type LoadedPipeline, loadPipelineFile } from './load.js';

const PIPELINE_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** The pipeline files of a folder (not its subfolders), sorted; editor JSON Schemas (`*.schema.json`) are skipped. */
function filesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => PIPELINE_EXTENSIONS.has(extname(name).toLowerCase()) && !name.endsWith('.schema.json'))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * Loads every pipeline file named, or found in a folder named, validating all of them before returning any:
 * a worker must know how to run every ConfigId it may claim. Two files with the same `id` are an error.
 */
export function loadPipelines(paths: readonly string[]): LoadedPipeline[] {
  const files = paths.flatMap((path) => {
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      // Not there: loadPipelineFile reports it as a missing file.
    }
    return isDir ? filesIn(path) : [path];
  });
  if (files.length === 0) {
    throw new ConfigError([
      { path: '', message: `no pipeline files (.yaml, .yml, .json) in ${paths.join(', ')}` },
    ]);
  }
  const loaded = files.map((file) => loadPipelineFile(file));
  const seen = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const { config, file } of loaded) {
    const first = seen.get(config.id);
    if (first) issues.push({ path: 'id', message: `"${config.id}" is also the id of ${first} (in ${file})` });
    else seen.set(config.id, file);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return loaded;
}
