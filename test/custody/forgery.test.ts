/**
 * The attack a review carried out, against a checkpoint held off the box (R25, FORMATS.md §2):
 * with a shell on the box and the files, remove (or alter) one `clip-access` entry from before a
 * checkpoint, re-number and re-chain every later entry, rewrite the LevelDB copies and head.
 * The chain-only `gateway verify` then says OK (asserted: the attack is real); the real CLI's
 * `gateway verify --checkpoint FILE` exits 1 and names the entry — exactly with the witness's copy
 * of the lines, as a seq range from two checkpoints without it.
 */
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../gateway/custody/checkpoint.js';
import { openDb } from '../../gateway/db.js';
import { entryHash, GENESIS_HASH } from '../../gateway/store/audit-log.js';
import { canonicalJson } from '../../gateway/store/canonical.js';
import { type BatchOp, jsonSub, keyPart, pad, type Sub } from '../../gateway/store/keys.js';
import type { AuditEntry } from '../../gateway/store/schema.js';
import { startGateway } from '../helpers/gateway.js';
import { gatewayCli, writeConfig } from './helpers.js';

let dir: string;
let dataDir: string;
let usb: string;
let cfg: string;
let cpA: Checkpoint;
let cpB: Checkpoint;
/** The clip-access entry the attacker removes (or alters): after checkpoint A, before B. */
let target: AuditEntry;
let total: number;
/** The pristine log and index, restored before each attack. */
let pristine: { log: Buffer; index: string };

const auditFile = () => join(dataDir, 'store', 'audit', 'audit.jsonl');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'forgery-'));
  dataDir = join(dir, 'data');
  usb = join(dir, 'usb');
  await mkdir(usb); // the mounted stick
  const config = { dataDir, custody: { gatewayId: 'gw-forgery', witnesses: { directories: [usb] } } };
  cfg = await writeConfig(dir, config);
  const gw = await startGateway(config);
  const append = (
    type: 'clip-access' | 'ingest' | 'pairing',
    subject: string,
    details: Record<string, unknown>,
  ) => gw.app.store.audit.append({ type, actor: 'user:legal-1', subject, details });
  await append('pairing', 'recorder:R1', { officerId: 'o1' });
  await append('ingest', 'clip:c1', { sha256: 'a'.repeat(64) });
  await append('clip-access', 'clip:c1', { action: 'view', reason: '初查' });
  cpA = await gw.app.custody.issueCheckpoint('weekly USB', 'user:principal');
  await append('ingest', 'clip:c2', { sha256: 'b'.repeat(64) });
  target = await append('clip-access', 'clip:c2', { action: 'download', reason: '复制给当事人' });
  for (let i = 0; i < 6; i++)
    await append('clip-access', `clip:c${i}`, { action: 'view', reason: `复核 ${i}` });
  cpB = await gw.app.custody.issueCheckpoint('weekly USB', 'user:principal');
  for (let i = 0; i < 3; i++) await append('pairing', `recorder:R${i}`, { officerId: `o${i}` });
  await gw.app.custody.flushWitnesses();
  total = gw.app.store.audit.tree.size;
  await gw.stop();
  expect(cpA.treeSize).toBeLessThan(target.seq);
  expect(cpB.treeSize).toBeGreaterThan(target.seq);
  pristine = { log: await readFile(auditFile()), index: join(dir, 'index-pristine') };
  await copyDir(join(dataDir, 'index'), pristine.index);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function copyDir(from: string, to: string): Promise<void> {
  await rm(to, { recursive: true, force: true });
  await cp(from, to, { recursive: true });
}

async function restore(): Promise<void> {
  await writeFile(auditFile(), pristine.log);
  await copyDir(pristine.index, join(dataDir, 'index'));
}

/** The attacker: rewrite the file and the index so that the chain and every copy agree again. */
async function forge(edit: (entries: AuditEntry[]) => AuditEntry[]): Promise<void> {
  const lines = (await readFile(auditFile(), 'utf8')).split('\n').filter(Boolean);
  const edited = edit(lines.map((l) => JSON.parse(l) as AuditEntry));
  let prevHash = GENESIS_HASH;
  const rechained = edited.map((e, i) => {
    const body = { ...e, seq: i + 1, prevHash };
    const entry = { ...body, hash: entryHash(body) };
    prevHash = entry.hash;
    return entry;
  });
  const text = rechained.map((e) => `${canonicalJson(e)}\n`).join('');
  await writeFile(auditFile(), text);
  const db = await openDb(join(dataDir, 'index'));
  try {
    const audit = jsonSub<unknown>(db, 'audit');
    const bySeq = jsonSub<AuditEntry>(audit as Sub<unknown>, 'seq');
    const bySubject = jsonSub<number>(audit as Sub<unknown>, 'subject');
    await audit.clear();
    const ops: BatchOp[] = rechained.flatMap((e) => [
      { type: 'put', sublevel: bySeq, key: pad(e.seq), value: e },
      { type: 'put', sublevel: bySubject, key: `${keyPart(e.subject)}!${pad(e.seq)}`, value: e.seq },
    ]);
    const last = rechained[rechained.length - 1]!;
    ops.push({
      type: 'put',
      sublevel: audit,
      key: 'head',
      value: { seq: last.seq, hash: last.hash, offset: Buffer.byteLength(text) },
    });
    await db.batch(ops, { sync: true });
  } finally {
    await db.close();
  }
}

describe('forging the log against a held checkpoint', () => {
  it('a removed clip-access entry: chain-only verify says OK; verify --checkpoint names the entry', async () => {
    await restore();
    const line = JSON.parse((await readFile(auditFile(), 'utf8')).split('\n')[target.seq - 1]!) as AuditEntry;
    expect(line).toEqual(target);
    await forge((entries) => entries.filter((e) => e.seq !== target.seq));

    // The attack is real: the hash chain, the LevelDB copies and the head all agree.
    const old = await gatewayCli(cfg, 'verify');
    expect(old.stdout).toMatch(
      new RegExp(`^OK: 0 blobs re-hashed for 0 clips, ${total - 1} audit entries checked`),
    );
    expect(old.stdout).toContain('RESULT: OK');
    expect(old.code).toBe(0);

    // The checkpoint that left the box on the USB stick catches it, and its log copy names it.
    const fileB = join(usb, `checkpoint-${cpB.treeSize}.json`);
    const held = await gatewayCli(cfg, 'verify', '--checkpoint', fileB);
    expect(held.code).toBe(1);
    expect(held.stdout).toContain(`CHECKPOINT ${fileB}: LOG DIFFERS`);
    expect(held.stdout).toContain(`FIRST DIFFERENCE: entry seq ${target.seq} REMOVED`);
    expect(held.stdout).toContain(
      `held:  clip-access clip:c2 by user:legal-1 at ${target.at} (hash ${target.hash})`,
    );
    expect(held.stdout).toContain('RESULT: FAULTS FOUND');

    // Checkpoints held without the copy: the narrowest range they allow (after A's size, up to B's).
    const bare = join(dir, 'bare');
    await mkdir(bare, { recursive: true });
    for (const cp of [cpA, cpB]) {
      await copyFile(join(usb, `checkpoint-${cp.treeSize}.json`), join(bare, `cp-${cp.treeSize}.json`));
    }
    await copyFile(join(usb, 'gateway-key.json'), join(bare, 'gateway-key.json'));
    const ranged = await gatewayCli(
      cfg,
      'verify',
      '--key',
      join(bare, 'gateway-key.json'),
      '--checkpoint',
      join(bare, `cp-${cpA.treeSize}.json`),
      join(bare, `cp-${cpB.treeSize}.json`),
    );
    expect(ranged.code).toBe(1);
    expect(ranged.stdout).toContain(`CHECKPOINT ${join(bare, `cp-${cpA.treeSize}.json`)}: OK`);
    expect(ranged.stdout).toContain(
      `FIRST DIFFERENCE between entries ${cpA.treeSize + 1} and ${cpB.treeSize}`,
    );
  }, 60_000);

  it('an altered entry (its hash recomputed, every later one re-chained) is named as altered', async () => {
    await restore();
    await forge((entries) =>
      entries.map((e) =>
        e.seq === target.seq ? { ...e, details: { ...e.details, reason: '例行检查' } } : e,
      ),
    );
    const old = await gatewayCli(cfg, 'verify');
    expect(old.code).toBe(0);
    const held = await gatewayCli(
      cfg,
      'verify',
      '--checkpoint',
      join(usb, `checkpoint-${cpB.treeSize}.json`),
    );
    expect(held.code).toBe(1);
    expect(held.stdout).toContain(`FIRST DIFFERENCE: entry seq ${target.seq} ALTERED`);
    // An earlier checkpoint, untouched by the change, still holds.
    const early = await gatewayCli(
      cfg,
      'verify',
      '--checkpoint',
      join(usb, `checkpoint-${cpA.treeSize}.json`),
    );
    expect(early.stdout).toContain(`OK (gw-forgery, ${cpA.treeSize} entries`);
    expect(early.code).toBe(0);
  }, 60_000);

  it('an untouched log passes; a checkpoint signed by another key or edited fails', async () => {
    await restore();
    const good = await gatewayCli(
      cfg,
      'verify',
      '--checkpoint',
      join(usb, `checkpoint-${cpA.treeSize}.json`),
      join(usb, 'latest.json'),
    );
    expect(good.stdout).toContain('RESULT: OK');
    expect(good.code).toBe(0);
    const forgedCp = join(dir, 'edited.json');
    await writeFile(forgedCp, JSON.stringify({ ...cpB, treeSize: cpB.treeSize - 1 }));
    const bad = await gatewayCli(cfg, 'verify', '--checkpoint', forgedCp);
    expect(bad.stdout).toContain('BAD SIGNATURE');
    expect(bad.code).toBe(1);
  }, 60_000);
});
