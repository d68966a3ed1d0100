import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export const BIN = join(import.meta.dirname, '../../bin/restlake.js');

/**
 * The environment of a CLI process run in `cwd` (a test's temporary folder): the test's own, with the process's
 * temporary files (a batch waiting for its commit) in `cwd` too. A process a test kills leaves its batch file
 * behind; there, the test's cleanup removes it, rather than it piling up in the machine's /tmp.
 */
export function cliEnv(cwd: string, env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const tmp = join(cwd, '.tmp');
  mkdirSync(tmp, { recursive: true });
  return { ...process.env, TMPDIR: tmp, ...env };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would: a child process, in `cwd`, with extra environment variables. */
export function cli(
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; killAfterMs?: number },
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      env: cliEnv(options.cwd, options.env),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    // A crash at a random moment: SIGKILL, as the OOM killer or a lost machine would.
    const killer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.killAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs `tasks` with at most `limit` at once (child processes on a 2-core machine). */
export async function inBatches<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}
