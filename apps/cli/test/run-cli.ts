import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../../../test-support/paths.js';

export const BIN = resolve(repoRoot, 'apps/cli/bin/medxfer.js');
export const scratch = (name: string) => mkdtempSync(join(tmpdir(), `medxfer-${name}-`));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  signal: NodeJS.Signals | null;
}

/** Runs the real `medxfer` binary (built dist) offline, with a private home so no user cache is touched. */
export function runCli(args: string[], options: { env?: Record<string, string>; onStderr?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<CliResult> {
  const home = scratch('home');
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: home, MEDXFER_OFFLINE: '1', TORCH_HOME: join(home, 'torch'), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, stdout, stderr, signal }));
  });
}
