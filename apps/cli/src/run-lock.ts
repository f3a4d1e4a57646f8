// One writer per run folder: `train` and `train --resume` hold an exclusive lock file while they write.
import { rmSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.js';

export const LOCK_FILE = 'run.lock';

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly command: string;
}

/** Whether process `pid` on this host is still running (signal 0 checks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

/** Why the lock at `path` cannot be taken, in one line that says what to do. */
async function refusal(dir: string, path: string): Promise<UsageError> {
  const held = await readLock(path);
  if (!held) return new UsageError(`${dir} is locked (${path} exists but cannot be read); if no medxfer process is using it, delete ${path}`);
  const who = `process ${held.pid} on ${held.host} (${held.command}, since ${held.startedAt})`;
  if (held.host === hostname() && !alive(held.pid)) {
    return new UsageError(`${dir} has a stale lock from ${who}, which is no longer running: delete ${path} and run again`);
  }
  return new UsageError(`${dir} is being written by ${who}; wait for it to finish, or stop it first`);
}

/**
 * Takes the run folder's lock (created atomically: `wx`) or throws a {@link UsageError} saying who holds it.
 * Returns the release function; the lock is also removed if the process exits normally or by a signal it handles.
 */
export async function lockRunFolder(dir: string, command: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const info: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  try {
    const handle = await open(path, 'wx');
    await handle.writeFile(`${JSON.stringify(info)}\n`);
    await handle.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw await refusal(dir, path);
    throw error;
  }
  let released = false;
  const releaseSync = () => {
    if (released) return;
    released = true;
    // Synchronously: the process is exiting.
    rmSync(path, { force: true });
  };
  process.once('exit', releaseSync);
  return async () => {
    if (released) return;
    released = true;
    process.off('exit', releaseSync);
    await rm(path, { force: true });
  };
}
