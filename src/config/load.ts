import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../core/errors.js';
import { type PipelineConfig, pipelineSchema } from './schema.js';
import { formatPath, resolveSecrets } from './secrets.js';

export interface LoadedPipeline {
  config: PipelineConfig;
  /** Absolute path of the pipeline file; relative paths inside it resolve against its folder. */
  file: string;
}

/**
 * Reads, resolves and validates one pipeline file. Every problem is collected and thrown at once as a
 * ConfigError, each with the key path that holds it, before anything is connected or written.
 */
export function loadPipelineFile(path: string): LoadedPipeline {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(
      [
        {
          path: '',
          message: code === 'ENOENT' ? 'file not found' : `cannot read file (${code ?? 'unknown error'})`,
        },
      ],
      path,
      'CONFIG_NOT_FOUND',
    );
  }
  return { config: parsePipeline(parseText(text, file), dirname(file), path), file };
}

function parseText(text: string, file: string): unknown {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') {
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ConfigError([{ path: '', message: `not valid JSON: ${(error as Error).message}` }], file);
    }
  }
  if (ext !== '.yaml' && ext !== '.yml') {
    throw new ConfigError(
      [{ path: '', message: `expected a .yaml, .yml or .json file, got "${ext || 'no extension'}"` }],
      file,
    );
  }
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((e) => ({ path: '', message: `YAML: ${e.message.split('\n')[0]}` })),
      file,
    );
  }
  return document.toJS();
}

/** Validates an already parsed pipeline object (from YAML, JSON or `definePipeline` in TypeScript). */
export function parsePipeline(raw: unknown, baseDir: string, label?: string): PipelineConfig {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(
      [{ path: '', message: 'expected a mapping with id, source and resources at the top level' }],
      label,
    );
  }
  const issues: ConfigIssue[] = [];
  const resolved = resolveSecrets(raw, baseDir, issues);
  const result = pipelineSchema.safeParse(resolved);
  if (!result.success) issues.push(...result.error.issues.flatMap((issue) => toConfigIssues(issue, [])));
  if (issues.length > 0 || !result.success) throw new ConfigError(dedupe(issues), label);
  return result.data;
}

/**
 * Zod issues → one line each. A union that is not discriminated (`string | { type, from }`) reports the
 * problems of the branch whose shape the value had, not a bare "invalid input".
 */
function toConfigIssues(issue: z.core.$ZodIssue, prefix: PropertyKey[]): ConfigIssue[] {
  if (issue.code === 'invalid_union' && !('options' in issue) && issue.errors.length > 0) {
    const typeMismatch = (branch: z.core.$ZodIssue[]) =>
      branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0]!.path.length === 0;
    const matched = issue.errors.find((branch) => !typeMismatch(branch));
    if (matched) return matched.flatMap((inner) => toConfigIssues(inner, [...prefix, ...issue.path]));
  }
  return [toConfigIssue({ ...issue, path: [...prefix, ...issue.path] } as z.core.$ZodIssue)];
}

function toConfigIssue(issue: z.core.$ZodIssue): ConfigIssue {
  switch (issue.code) {
    case 'unrecognized_keys':
      return {
        path: formatPath([...issue.path, ...(issue.keys.length === 1 ? issue.keys : [])]),
        message:
          issue.keys.length === 1
            ? 'unknown key'
            : `unknown keys: ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`,
      };
    case 'invalid_union':
      if ('options' in issue && Array.isArray(issue.options)) {
        return { path: formatPath(issue.path), message: `expected one of ${issue.options.join(', ')}` };
      }
      return { path: formatPath(issue.path), message: issue.message };
    case 'invalid_value':
      return {
        path: formatPath(issue.path),
        message: `expected one of ${issue.values.map(String).join(', ')}`,
      };
    case 'invalid_type':
      return {
        path: formatPath(issue.path),
        message: issue.message.includes('received undefined')
          ? 'required'
          : issue.message.replace(/^Invalid input: /, ''),
      };
    default:
      return {
        path: formatPath(issue.path),
        message: issue.message.replace(/^Invalid (input|string): /, ''),
      };
  }
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
