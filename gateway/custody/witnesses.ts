/**
 * Witnesses: where each signed checkpoint goes so that it leaves the box (FORMATS.md §2).
 * - a directory (a USB stick, a share the office mounts): `checkpoint-<treeSize>.json`,
 *   `latest.json`, `gateway-key.json`, the receipt PDF, and `audit.jsonl`, an append-only copy of
 *   the log lines the checkpoints cover, so a held copy names the exact altered entry; every file
 *   written durably (temp, fsync, rename, fsync of the directory);
 * - an upstream MQTT broker: the checkpoint as a retained QoS 1 message for a central archive.
 * A witness that fails is logged and alerted by the caller; it never blocks the log.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { isErrno } from '../store/errors.js';
import { fsyncDir, replaceFileDurable } from '../store/fsutil.js';
import type { AuditTree } from './audit-tree.js';
import { type Checkpoint, parseCheckpoint } from './checkpoint.js';
import type { GatewayKeyJson } from './signing-key.js';

export interface WitnessContext {
  tree: AuditTree;
  key: GatewayKeyJson;
  receipt: (cp: Checkpoint) => Promise<Buffer>;
  /** Device ids of the data dir's and the root filesystem: a witness there is not off the box. */
  localDevices?: number[];
}

export interface Witness {
  /** Stable name for logs and alerts: `dir:/media/usb`, `mqtt:mqtts://archive/topic`. */
  readonly name: string;
  deliver(cp: Checkpoint, ctx: WitnessContext): Promise<void>;
}

export const MIRROR_FILE = 'audit.jsonl';
export const LATEST_FILE = 'latest.json';
export const KEY_FILE = 'gateway-key.json';
export const checkpointFile = (treeSize: number) => `checkpoint-${treeSize}.json`;
export const receiptFile = (treeSize: number) => `receipt-${treeSize}.pdf`;

export class WitnessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WitnessError';
  }
}

export class DirectoryWitness implements Witness {
  readonly name: string;

  constructor(
    readonly dir: string,
    readonly opts: { receipts?: boolean } = {},
  ) {
    this.name = `dir:${dir}`;
  }

  /**
   * The directory must exist (a mount point or a share the office set up: never created here, so an
   * absent stick fails instead of filling an empty mount point on the box's own disk). Written on
   * the data dir's disk or the root disk, it does not leave the box: written, then reported.
   */
  async deliver(cp: Checkpoint, ctx: WitnessContext): Promise<void> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(this.dir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new WitnessError(`${this.dir} does not exist (stick not mounted?)`);
      throw err;
    }
    if (!st.isDirectory()) throw new WitnessError(`${this.dir} is not a directory`);
    // The lines first: a checkpoint in the directory is always covered by the copy beside it.
    await this.#extendMirror(cp.treeSize, ctx.tree);
    await replaceFileDurable(join(this.dir, KEY_FILE), `${JSON.stringify(ctx.key, null, 2)}\n`);
    const json = `${JSON.stringify(cp, null, 2)}\n`;
    await replaceFileDurable(join(this.dir, checkpointFile(cp.treeSize)), json);
    if (this.opts.receipts !== false) {
      await replaceFileDurable(join(this.dir, receiptFile(cp.treeSize)), await ctx.receipt(cp));
    }
    await replaceFileDurable(join(this.dir, LATEST_FILE), json);
    if (ctx.localDevices?.includes(st.dev)) {
      throw new WitnessError(
        `${this.dir} is on the gateway's own disk (stick or share not mounted?): the checkpoint was written there but has not left the box`,
      );
    }
  }

  /** The latest checkpoint this directory holds, if any and readable. */
  async latest(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.dir, LATEST_FILE), 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
    const r = parseCheckpoint(text);
    if (!r.ok) throw new WitnessError(`${join(this.dir, LATEST_FILE)}: ${r.reason}`);
    return r.checkpoint;
  }

  /**
   * Append to the copy the log's lines up to `treeSize`. The copy is never rewritten: if it does
   * not end on one of the log's line boundaries with the same last line, the two have diverged —
   * which is evidence, so it is kept as it is and the delivery fails (alerted).
   */
  async #extendMirror(treeSize: number, tree: AuditTree): Promise<void> {
    const path = join(this.dir, MIRROR_FILE);
    let size = 0;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
    }
    const target = tree.offsetOf(treeSize);
    if (size === target) return;
    const have = tree.countAtOffset(size);
    if (have === undefined || have > treeSize) {
      throw new WitnessError(`${path} (${size} bytes) is not a prefix of the log: kept unchanged`);
    }
    const fh = await open(path, 'a+', 0o644);
    try {
      if (have > 0) {
        const last = await tree.leafInput(have);
        const held = Buffer.alloc(last.length + 1);
        await fh.read(held, 0, held.length, size - held.length);
        if (!held.subarray(0, last.length).equals(last) || held[last.length] !== 0x0a) {
          throw new WitnessError(`${path}: entry ${have} differs from the log: kept unchanged`);
        }
      }
      const src = await open(tree.file, 'r');
      try {
        const buf = Buffer.alloc(1024 * 1024);
        for (let pos = size; pos < target; ) {
          const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, target - pos), pos);
          if (bytesRead === 0) throw new WitnessError('audit log ended early while copying');
          await fh.write(buf.subarray(0, bytesRead));
          pos += bytesRead;
        }
      } finally {
        await src.close();
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (size === 0) await fsyncDir(this.dir);
  }
}

export interface MqttWitnessOptions {
  url: string;
  topic: string;
  username?: string;
  password?: string;
  clientId: string;
  timeoutMs: number;
}

export class MqttWitness implements Witness {
  readonly name: string;

  constructor(readonly opts: MqttWitnessOptions) {
    // No credentials in the name (it reaches logs and alerts).
    const u = new URL(opts.url);
    this.name = `mqtt:${u.protocol}//${u.host}/${opts.topic}`;
  }

  async deliver(cp: Checkpoint): Promise<void> {
    const { url, topic, username, password, clientId, timeoutMs } = this.opts;
    let timer: NodeJS.Timeout | undefined;
    const client = await connectAsync(url, {
      clientId,
      connectTimeout: timeoutMs,
      reconnectPeriod: 0,
      ...(username !== undefined ? { username } : {}),
      ...(password !== undefined ? { password } : {}),
    });
    try {
      await Promise.race([
        client.publishAsync(topic, JSON.stringify(cp), { qos: 1, retain: true }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new WitnessError(`no PUBACK within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      await client.endAsync().catch(() => client.end(true));
    }
  }
}
