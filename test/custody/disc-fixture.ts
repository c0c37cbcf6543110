/**
 * Writes an evidence-disc folder exactly as FORMATS.md §3 describes it, independently of the
 * gateway's exporter: an Ed25519 key from node:crypto, an audit log with unrelated entries around
 * the disc's own (so proofs have real paths), the gateway's RFC 9162 tree (gateway/custody/merkle.ts:
 * the verifier must agree with it) and the verifier files from buildVerifierFiles().
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import {
  inclusionProof,
  leafHash,
  rootOfLeaves,
  subtreeOfLeaves,
  toHex,
} from '../../gateway/custody/merkle.js';
import { buildVerifierFiles } from '../../gateway/exports/verifier/index.js';
import { canonicalJson } from '../../gateway/store/canonical.js';

const sha = (...parts: (Buffer | Uint8Array | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};

export interface DiscKey {
  privateKey: KeyObject;
  publicRaw: Buffer;
  fingerprint: string;
}

export function newKey(): DiscKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  const publicRaw = Buffer.from(jwk.x!, 'base64url');
  return { privateKey, publicRaw, fingerprint: sha(publicRaw).toString('hex') };
}

export function checkpointMessage(c: {
  origin: string;
  treeSize: number;
  rootHash: string;
  at: string;
}): string {
  return `enforcement-gateway checkpoint v1\n${c.origin}\n${c.treeSize}\n${c.rootHash}\n${c.at}\n`;
}

export function signCheckpoint(
  c: { origin: string; treeSize: number; rootHash: string; at: string },
  key: DiscKey,
): string {
  return sign(null, Buffer.from(checkpointMessage(c), 'utf8'), key.privateKey).toString('base64');
}

export interface FixtureClip {
  clipId: string;
  bytes: number;
}

export interface Disc {
  dir: string;
  key: DiscKey;
  exportId: string;
  clips: { clipId: string; path: string; sha256: string; bytes: number }[];
  /** Seqs of the disc's audit lines, in file order. */
  seqs: number[];
}

export async function writeDisc(
  opts: { clips?: FixtureClip[]; key?: DiscKey; unrelatedEntries?: number } = {},
): Promise<Disc> {
  const key = opts.key ?? newKey();
  const clipsIn = opts.clips ?? [
    { clipId: 'clip-a', bytes: 40_000 },
    { clipId: 'clip-b', bytes: 3_000 },
  ];
  const dir = await mkdtemp(join(tmpdir(), 'disc-'));
  await mkdir(join(dir, 'clips'));
  await mkdir(join(dir, 'custody'));
  const exportId = 'exp-0001';
  const origin = 'gw-test-office';

  const clips = [];
  for (const c of clipsIn) {
    const data = randomBytes(c.bytes);
    const path = `clips/${c.clipId}.mp4`;
    await writeFile(join(dir, path), data);
    clips.push({ clipId: c.clipId, path, sha256: sha(data).toString('hex'), bytes: c.bytes });
  }
  const manifest = {
    v: 1,
    exportId,
    gatewayId: origin,
    createdAt: '2026-12-07T08:00:00.000Z',
    caseNo: '广电罚〔2026〕17号',
    purpose: '移送法院作为证据',
    recipient: { kind: 'court', name: '某市中级人民法院' },
    requestedBy: { username: 'legal', name: '法规处 王某' },
    approvedBy: { username: 'chief', name: '局长 李某' },
    approvedAt: '2026-12-07T07:50:00.000Z',
    sensitivity: 'normal',
    files: clips.map((c) => ({ ...c, recorder: 'SN-0001', officer: { name: '张三', certNo: '44010001' } })),
  };
  const manifestBytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  const manifestPdf = Buffer.from('%PDF-1.4\n% test manifest\n%%EOF\n');

  // The whole log: unrelated entries interleaved with the ones the disc carries.
  type Draft = {
    type: string;
    actor: string;
    subject: string;
    details: Record<string, unknown>;
    onDisc: boolean;
  };
  const drafts: Draft[] = [];
  const unrelated = (i: number): Draft => ({
    type: 'pairing',
    actor: 'dock:/dev/ttyACM0',
    subject: `recorder:SN-${100 + i}`,
    details: { officerId: `o-${i}` },
    onDisc: false,
  });
  let u = 0;
  const filler = opts.unrelatedEntries ?? 3;
  for (const c of clips) {
    for (let i = 0; i < filler; i++) drafts.push(unrelated(u++));
    drafts.push({
      type: 'ingest',
      actor: 'dock:/dev/ttyACM0',
      subject: `clip:${c.clipId}`,
      details: { sha256: c.sha256, bytes: c.bytes, source: 'recorder:SN-0001' },
      onDisc: true,
    });
  }
  drafts.push({
    type: 'export-request',
    actor: 'legal',
    subject: `export:${exportId}`,
    details: { clipIds: clips.map((c) => c.clipId) },
    onDisc: true,
  });
  for (let i = 0; i < filler; i++) drafts.push(unrelated(u++));
  drafts.push({
    type: 'export-built',
    actor: 'gateway',
    subject: `export:${exportId}`,
    details: {
      exportId,
      manifestSha256: sha(manifestBytes).toString('hex'),
      manifestPdfSha256: sha(manifestPdf).toString('hex'),
    },
    onDisc: true,
  });
  drafts.push(unrelated(u++));

  let prevHash = '0'.repeat(64);
  const lines: string[] = [];
  drafts.forEach((d, i) => {
    const body = { seq: i + 1, at: new Date(Date.UTC(2026, 11, 7, 0, i)).toISOString(), ...d, prevHash };
    delete (body as { onDisc?: boolean }).onDisc;
    const hash = sha(canonicalJson(body)).toString('hex');
    lines.push(canonicalJson({ ...body, hash }));
    prevHash = hash;
  });
  const leaves = lines.map((l) => leafHash(Buffer.from(l, 'utf8')));
  const treeSize = leaves.length;
  const tree = subtreeOfLeaves(leaves);
  const rootHash = toHex(rootOfLeaves(leaves));
  const at = '2026-12-07T08:00:00.000Z';
  const checkpoint = {
    v: 1,
    origin,
    treeSize,
    rootHash,
    at,
    keyId: key.fingerprint,
    signature: signCheckpoint({ origin, treeSize, rootHash, at }, key),
  };
  const seqs = drafts.flatMap((d, i) => (d.onDisc ? [i + 1] : []));
  const proofs = seqs.map((seq) => ({
    seq,
    leafIndex: seq - 1,
    treeSize,
    auditPath: inclusionProof(seq - 1, treeSize, tree).map(toHex),
  }));

  const verifier = await buildVerifierFiles();
  const files: Record<string, Buffer | string> = {
    'README.txt':
      '用 verify.html 或 node verify.mjs 校验本光盘。\nVerify this disc with verify.html or node verify.mjs.\n',
    'manifest.json': manifestBytes,
    'manifest.pdf': manifestPdf,
    'receipt.pdf': Buffer.from('%PDF-1.4\n% test receipt\n%%EOF\n'),
    'verify.html': verifier['verify.html'],
    'verify.mjs': verifier['verify.mjs'],
    'custody/checkpoint.json': `${JSON.stringify(checkpoint, null, 2)}\n`,
    'custody/gateway-key.json': `${JSON.stringify({ v: 1, alg: 'Ed25519', publicKey: key.publicRaw.toString('base64'), fingerprint: key.fingerprint }, null, 2)}\n`,
    'custody/audit.jsonl': seqs.map((s) => `${lines[s - 1]}\n`).join(''),
    'custody/proofs.json': `${JSON.stringify(proofs, null, 2)}\n`,
  };
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  return { dir, key, exportId, clips, seqs };
}

/** writeDisc for a test file: the discs a test wrote are removed after it. */
export function discsPerTest(): (opts?: Parameters<typeof writeDisc>[0]) => Promise<Disc> {
  const made: Disc[] = [];
  afterEach(async () => {
    for (const d of made.splice(0)) await rm(d.dir, { recursive: true, force: true });
  });
  return async (opts) => {
    const d = await writeDisc(opts);
    made.push(d);
    return d;
  };
}
