import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { PipelineConfig } from '../config/schema.js';
import { ConfigError, RestlakeError } from '../core/errors.js';
import type { RecordSelector } from '../extract/records.js';

/**
 * A resource's own way from a response body to its records, for the rare API the `records` path cannot
 * express. Return the records (objects, or scalars for a `value` column); null or undefined is an empty page.
 *
 * @example
 * ```ts
 * // parsers/problems.ts, named in the pipeline file as `parser: ./parsers/problems.ts#parse`
 * import type { RecordParser } from 'restlake';
 * export const parse: RecordParser = (body) =>
 *   Object.entries((body as { problems: Record<string, object> }).problems).map(([id, p]) => ({ id, ...p }));
 * ```
 */
export type RecordParser = (body: unknown) => readonly unknown[] | null | undefined;

/**
 * Loads `module#export` (relative to the pipeline file) with jiti, so a TypeScript parser runs without a
 * build step. Problems are config errors naming the key, raised before anything is written.
 */
export async function loadParser(
  ref: string,
  baseDir: string,
  key: string,
  file?: string,
): Promise<RecordSelector> {
  const hash = ref.lastIndexOf('#');
  const modulePath = hash < 0 ? ref : ref.slice(0, hash);
  const name = hash < 0 ? 'default' : ref.slice(hash + 1);
  const path = resolve(baseDir, modulePath);
  const problem = (message: string, cause?: unknown): never => {
    const error = new ConfigError([{ path: key, message }], file);
    if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause });
    throw error;
  };
  if (!existsSync(path)) problem(`parser module ${modulePath} not found (looked for ${path})`);
  // Imported lazily: only pipelines with a parser pay for the TypeScript loader.
  const { createJiti } = await import('jiti');
  let module: Record<string, unknown> = {};
  try {
    module = await createJiti(import.meta.url).import<Record<string, unknown>>(path);
  } catch (error) {
    problem(`cannot load parser module ${modulePath}: ${(error as Error).message}`, error);
  }
  const parse = module[name];
  if (typeof parse !== 'function') {
    const exported = Object.keys(module).filter((k) => typeof module[k] === 'function');
    problem(
      `${modulePath} has no exported function "${name}"${exported.length > 0 ? ` (it exports ${exported.join(', ')})` : ''}`,
    );
  }
  const parser = parse as RecordParser;
  return (body) => {
    const records = parser(body);
    if (records === null || records === undefined) return [];
    if (!Array.isArray(records)) {
      throw new RestlakeError(
        'SELECTOR',
        `parser ${ref} returned ${typeof records}, not an array of records`,
      );
    }
    return records as unknown[];
  };
}

/** The parsers of a pipeline's resources, by resource name; `file` is the pipeline file, for messages. */
export async function loadParsers(
  config: PipelineConfig,
  baseDir: string,
  file?: string,
): Promise<Map<string, RecordSelector>> {
  const parsers = new Map<string, RecordSelector>();
  for (const [index, resource] of config.resources.entries()) {
    if (resource.parser) {
      parsers.set(
        resource.name,
        await loadParser(resource.parser, baseDir, `resources[${index}].parser`, file),
      );
    }
  }
  return parsers;
}
