/**
 * `gateway verify`, read-only: it opens the index without creating it, reads the log without
 * cutting a torn tail or rolling anything forward, and appends nothing — so it can be run on a
 * copy, on evidence, or by someone who must not change what they check. Besides the store checks
 * (blobs against the index, the hash chain) it proves today's log consistent with every held
 * checkpoint (`--checkpoint FILE`, any number) and names the first entry that differs.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Level } from 'level';
import type { Db } from '../db.js';
import { GatewayError } from '../errors.js';
import { AuditLog } from '../store/audit-log.js';
import { ClipIndex } from '../store/clip-index.js';
import { isErrno } from '../store/errors.js';
import { StoreLayout } from '../store/layout.js';
import { type VerifyReport, verifyStore } from '../store/verify.js';
import { AuditTree } from './audit-tree.js';
import { parseCheckpoint } from './checkpoint.js';
import { checkHeld, type Difference, firstDifference, type HeldCheck } from './held-check.js';
import { PublicKey, SigningKey } from './signing-key.js';
import { MIRROR_FILE } from './witnesses.js';

export interface OfflineVerifyOptions {
  dataDir: string;
  /** The gateway's own key file (its public half checks the signatures unless `keyFile` is given). */
  gatewayKeyFile: string;
  /** Held checkpoint files. */
  checkpoints?: string[];
  /** A key someone holds: gateway-key.json or a PEM. */
  keyFile?: string;
  /** Held copies of the log lines; `audit.jsonl` beside each checkpoint file is used too. */
  mirrors?: string[];
}

export interface OfflineVerifyReport {
  ok: boolean;
  store: VerifyReport;
  key?: { fingerprint: string; source: string };
  held: HeldCheck[];
  /** Checkpoint files that could not be read or parsed. */
  unreadable: { source: string; reason: string }[];
  treeSize: number;
  rootHash: string;
  difference?: Difference;
  /** Held log copies that were compared. */
  copies: string[];
}

const MAX_CHECKPOINT_BYTES = 16_384;

export async function verifyOffline(opts: OfflineVerifyOptions): Promise<OfflineVerifyReport> {
  const dataDir = resolve(opts.dataDir);
  const db = new Level<string, unknown>(join(dataDir, 'index'), {
    valueEncoding: 'json',
    createIfMissing: false,
  }) as Db;
  try {
    await db.open();
  } catch (err) {
    throw new GatewayError(
      'NOT_FOUND',
      `no gateway index under ${dataDir} (or it is in use by a running gateway)`,
      {
        cause: (err as Error).cause ? String((err as Error).cause) : (err as Error).message,
      },
    );
  }
  try {
    return await verifyWithDb(db, opts);
  } finally {
    await db.close();
  }
}

/**
 * The same checks on an index that is already open: the running gateway's, for `gateway verify`
 * through the admin socket (the log is read from its file, as offline; nothing is written).
 */
export async function verifyWithDb(db: Db, opts: OfflineVerifyOptions): Promise<OfflineVerifyReport> {
  const dataDir = resolve(opts.dataDir);
  const layout = new StoreLayout(join(dataDir, 'store'));
  const audit = await AuditLog.openReadOnly({ db, file: layout.auditFile });
  const store = await verifyStore({ layout, index: new ClipIndex(db), audit });
  const tree = audit.tree;

  const files = opts.checkpoints ?? [];
  let key: PublicKey | undefined;
  let keySource = '';
  if (opts.keyFile) {
    key = PublicKey.parse(await readBounded(opts.keyFile));
    keySource = opts.keyFile;
  } else {
    key = (await SigningKey.load(opts.gatewayKeyFile))?.public;
    keySource = opts.gatewayKeyFile;
  }
  if (files.length > 0 && !key) {
    throw new GatewayError(
      'BAD_REQUEST',
      `no key to check signatures with: none at ${opts.gatewayKeyFile}; give --key FILE`,
    );
  }

  const held: HeldCheck[] = [];
  const unreadable: { source: string; reason: string }[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readBounded(file);
    } catch (err) {
      unreadable.push({ source: file, reason: (err as Error).message });
      continue;
    }
    const parsed = parseCheckpoint(text);
    if (!parsed.ok) unreadable.push({ source: file, reason: parsed.reason });
    else held.push(checkHeld(tree, file, parsed.checkpoint, key));
  }

  const copyPaths = new Set((opts.mirrors ?? []).map((m) => resolve(m)));
  for (const file of files) copyPaths.add(join(dirname(resolve(file)), MIRROR_FILE));
  copyPaths.delete(resolve(layout.auditFile));
  const copies: { source: string; tree: AuditTree }[] = [];
  for (const path of copyPaths) {
    const t = await AuditTree.fromFile(path);
    if (t.tree.size > 0) copies.push({ source: path, tree: t.tree });
  }
  const difference = await firstDifference(tree, held, copies);
  const ok = store.ok && unreadable.length === 0 && held.every((h) => h.ok);
  return {
    ok,
    store,
    ...(key ? { key: { fingerprint: key.fingerprint, source: keySource } } : {}),
    held,
    unreadable,
    treeSize: tree.size,
    rootHash: Buffer.from(tree.root()).toString('hex'),
    ...(difference ? { difference } : {}),
    copies: copies.map((c) => c.source),
  };
}

async function readBounded(file: string): Promise<string> {
  try {
    const st = await stat(file);
    if (st.size > MAX_CHECKPOINT_BYTES)
      throw new GatewayError('BAD_REQUEST', `${file} is too large (${st.size} bytes)`);
    return await readFile(file, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new GatewayError('NOT_FOUND', `${file}: no such file`);
    throw err;
  }
}
