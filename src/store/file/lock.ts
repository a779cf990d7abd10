import { linkSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { StoreError } from '../../core/errors.js';
import { randomHex } from '../random.js';

/**
 * The file store's writer lock: `lockPath`, created exclusively, holding pid, host and time. One left
 * by a dead process on this host, or older than `staleMs`, is broken. Resolves to its release.
 * Synchronous but for the wait: a write is a dozen local syscalls, and a thread-pool round trip for
 * each cost more than the write itself on a busy machine.
 */
export async function lockFile(
  lockPath: string,
  { timeoutMs, staleMs }: { timeoutMs: number; staleMs: number },
): Promise<() => void> {
  // Written whole, then linked into place: link() creates exclusively like open('wx'), but the lock
  // never exists half-written, so a writer killed at any moment leaves one that names its pid.
  const mine = `${lockPath}.${process.pid}-${nonce()}`;
  const deadline = Date.now() + timeoutMs;
  try {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      const token = JSON.stringify({
        pid: process.pid,
        host: hostname(),
        at: new Date().toISOString(),
        nonce: nonce(),
      });
      try {
        writeFileSync(mine, token); // fresh each try: its time says since when it is held
        linkSync(mine, lockPath);
        return () => releaseFileLock(lockPath, token);
      } catch (e) {
        if (errno(e) !== 'EEXIST') {
          throw new StoreError(`cannot create lock file ${lockPath}: ${(e as Error).message}`);
        }
      }
      const held = readLock(lockPath);
      if (held === undefined) continue; // released meanwhile
      if (isStale(held, staleMs)) {
        breakLock(lockPath, held.text);
        continue;
      }
      if (Date.now() > deadline) {
        const who = held.pid ? `pid ${held.pid} on ${held.host ?? '?'}` : 'another process';
        throw new StoreError(
          `file store lock ${lockPath} is held by ${who}; if no otlpctl is running, remove it`,
        );
      }
      await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
    }
  } finally {
    try {
      unlinkSync(mine);
    } catch {
      // never made (the first write failed)
    }
  }
}

interface HeldFileLock {
  text: string;
  pid?: number;
  host?: string;
  atMs: number;
}

function readLock(lockPath: string): HeldFileLock | undefined {
  try {
    const text = readFileSync(lockPath, 'utf8');
    const mtimeMs = statSync(lockPath).mtimeMs;
    try {
      const info = JSON.parse(text) as { pid?: number; host?: string; at?: string };
      return { text, pid: info.pid, host: info.host, atMs: Date.parse(info.at ?? '') || mtimeMs };
    } catch {
      return { text, atMs: mtimeMs }; // not one of ours (made by hand?): judged by its age alone
    }
  } catch (e) {
    if (errno(e) === 'ENOENT') return undefined;
    throw new StoreError(`cannot read lock file ${lockPath}: ${(e as Error).message}`);
  }
}

function isStale(held: HeldFileLock, staleMs: number): boolean {
  if (Date.now() - held.atMs > staleMs) return true;
  if (held.pid === undefined || held.host !== hostname()) return false;
  try {
    process.kill(held.pid, 0);
    return false;
  } catch (e) {
    return errno(e) === 'ESRCH';
  }
}

/**
 * Moves the lock aside (only one breaker can) and checks it was the stale one; if a fresh lock
 * was taken in between, it is put back with link(), which never overwrites.
 */
function breakLock(lockPath: string, staleText: string): void {
  const aside = `${lockPath}.stale-${process.pid}-${nonce()}`;
  try {
    renameSync(lockPath, aside);
  } catch (e) {
    if (errno(e) === 'ENOENT') return;
    throw new StoreError(`cannot break stale lock ${lockPath}: ${(e as Error).message}`);
  }
  if (readFileSync(aside, 'utf8') !== staleText) quietly(() => linkSync(aside, lockPath));
  unlinkSync(aside);
}

function releaseFileLock(lockPath: string, token: string): void {
  // Only our own: had we been judged stale and broken, the lock now belongs to someone else.
  quietly(() => {
    if (readFileSync(lockPath, 'utf8') === token) unlinkSync(lockPath);
  });
}

function quietly(f: () => void): void {
  try {
    f();
  } catch {
    // gone meanwhile: nothing to undo
  }
}

const nonce = () => randomHex(4);
const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;
