import { dirname } from 'node:path';
// fs.promises is reached only when writing: loading node:fs/promises costs a read-only command ~4 ms.
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  promises as fsp,
  writeSync,
  type BigIntStats,
} from 'node:fs';

/**
 * The file store's two writes, each leaving the old state or the new one whatever happens: a new
 * snapshot is written beside the file and renamed over it; a log line is appended and fsynced (a
 * line cut short has no newline, and readers leave it out). Both return the file's new stamp.
 */

export async function replaceFile(path: string, data: Buffer[]): Promise<string> {
  const tmp = `${path}.tmp-${process.pid}`;
  let st;
  try {
    const fh = await fsp.open(tmp, 'w');
    try {
      const { bytesWritten } = await fh.writev(data); // gathered by the kernel: no copy of the file first
      const size = data.reduce((sum, b) => sum + b.length, 0);
      if (bytesWritten !== size) throw new Error(`wrote ${bytesWritten} of ${size} bytes to ${tmp}`);
      await fh.sync();
      st = await fh.stat({ bigint: true });
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.unlink(tmp).catch(() => undefined);
    throw e;
  }
  const dir = await fsp.open(dirname(path), 'r');
  await dir.sync().finally(() => dir.close()); // the rename itself must survive a power cut
  return stampOf(st);
}

/**
 * Writes `line` at `at` (the end of the last whole line), dropping what a writer that died left after
 * it. Synchronous: see `lock.ts`.
 */
export function appendAt(path: string, at: number, line: Buffer): string {
  const fd = openSync(path, 'r+');
  try {
    if (fstatSync(fd).size > at) ftruncateSync(fd, at);
    const written = writeSync(fd, line, 0, line.length, at);
    if (written !== line.length) throw new Error(`wrote ${written} of ${line.length} bytes to ${path}`);
    fdatasyncSync(fd);
    return stampOf(fstatSync(fd, { bigint: true }));
  } finally {
    closeSync(fd);
  }
}

/** inode + mtime + size: an append changes size and mtime, a new snapshot the inode. */
export const stampOf = (st: BigIntStats) => `${st.ino}:${st.mtimeNs}:${st.size}`;
