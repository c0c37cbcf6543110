/**
 * SHA-256 of many files on worker threads, so checking the originals of a disc uses every core
 * and the main thread stays free (the manifest and its PDF are drawn meanwhile). The worker is
 * plain JavaScript evaluated from a string, so it runs the same under tsx and from dist/.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
parentPort.on('message', ({ id, path }) => {
  let fd;
  try {
    fd = openSync(path, 'r');
    const hash = createHash('sha256');
    let bytes = 0;
    let since = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(n === buf.length ? buf : buf.subarray(0, n));
      bytes += n;
      since += n;
      if (since >= 16 * 1024 * 1024) { parentPort.postMessage({ id, progress: since }); since = 0; }
    }
    if (since > 0) parentPort.postMessage({ id, progress: since });
    parentPort.postMessage({ id, sha256: hash.digest('hex'), bytes });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.message || err) });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
});
`;

export interface HashResult {
  sha256: string;
  bytes: number;
}

type Reply = { id: number; progress?: number; sha256?: string; bytes?: number; error?: string };

/**
 * Hashes `paths` with up to `threads` workers; `onFile` sees each result as it comes (in any
 * order) and may throw to stop the rest; `onBytes` sees progress. Resolves with results in order.
 */
export async function hashFiles(
  paths: readonly string[],
  opts: {
    threads?: number;
    onBytes?: (n: number) => void;
    onFile?: (index: number, r: HashResult) => void | Promise<void>;
  } = {},
): Promise<HashResult[]> {
  const threads = Math.max(1, Math.min(opts.threads ?? availableParallelism(), paths.length));
  const results: HashResult[] = new Array(paths.length);
  let next = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: threads }, async () => {
        const w = new Worker(WORKER, { eval: true });
        workers.push(w);
        for (;;) {
          const i = next++;
          if (i >= paths.length) break;
          const r = await once(w, i, paths[i]!, opts.onBytes);
          results[i] = r;
          await opts.onFile?.(i, r);
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return results;
}

function once(w: Worker, id: number, path: string, onBytes?: (n: number) => void): Promise<HashResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: Reply) => {
      if (m.id !== id) return;
      if (m.progress !== undefined) {
        onBytes?.(m.progress);
        return;
      }
      done();
      if (m.error !== undefined) reject(new Error(`${path}: ${m.error}`));
      else resolve({ sha256: m.sha256!, bytes: m.bytes! });
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const done = () => {
      w.off('message', onMessage);
      w.off('error', onError);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.postMessage({ id, path });
  });
}

const FOLLOWER = `
const { parentPort, workerData } = require('node:worker_threads');
const { openSync, readSync, closeSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { path, shared } = workerData;
const state = new Int32Array(shared, 0, 1);
const size = new Float64Array(shared, 8, 1);
const buf = Buffer.allocUnsafe(4 * 1024 * 1024);
const hash = createHash('sha256');
const fd = openSync(path, 'r');
let pos = 0;
let since = 0;
try {
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, pos);
    if (n > 0) {
      hash.update(n === buf.length ? buf : buf.subarray(0, n));
      pos += n;
      since += n;
      if (since >= 16 * 1024 * 1024) { parentPort.postMessage({ progress: pos }); since = 0; }
      continue;
    }
    if (Atomics.load(state, 0) === 1 && pos >= size[0]) break;
    if (Atomics.load(state, 0) === 2) throw new Error('aborted');
    Atomics.wait(state, 0, 0, 5);
  }
  parentPort.postMessage({ sha256: hash.digest('hex'), bytes: pos });
} catch (err) {
  parentPort.postMessage({ error: String(err && err.message || err) });
} finally {
  closeSync(fd);
}
`;

/**
 * SHA-256 of a file while another process is still writing it: a worker reads behind the writer
 * (from the page cache) and `finish(size)`, once the writer is done, resolves with the digest of
 * exactly that many bytes. `abort()` stops it.
 */
export function followHash(
  path: string,
  onBytes?: (n: number) => void,
): { finish(size: number): Promise<HashResult>; abort(): void } {
  const shared = new SharedArrayBuffer(16);
  const state = new Int32Array(shared, 0, 1);
  const size = new Float64Array(shared, 8, 1);
  const w = new Worker(FOLLOWER, { eval: true, workerData: { path, shared } });
  const result = new Promise<HashResult>((resolve, reject) => {
    w.on('message', (m: { progress?: number; sha256?: string; bytes?: number; error?: string }) => {
      if (m.progress !== undefined) onBytes?.(m.progress);
      else if (m.error !== undefined) reject(new Error(`hashing ${path}: ${m.error}`));
      else resolve({ sha256: m.sha256!, bytes: m.bytes! });
    });
    w.once('error', reject);
  }).finally(() => void w.terminate());
  result.catch(() => {});
  const signal = (v: number) => {
    Atomics.store(state, 0, v);
    Atomics.notify(state, 0);
  };
  return {
    finish(bytes) {
      size[0] = bytes;
      signal(1);
      return result;
    },
    abort() {
      signal(2);
    },
  };
}
