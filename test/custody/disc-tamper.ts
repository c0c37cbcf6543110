/**
 * What an attacker does to an evidence disc, and what the verifier must say about it: one table
 * both verifier suites run (verify.mjs in Node, verify.html in Chromium), so the two cannot drift.
 */
import { open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Disc, type DiscKey, newKey, signCheckpoint } from './disc-fixture.js';

export async function flipBit(path: string, offset: number, bit = 0): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, offset);
    b[0] = b[0]! ^ (1 << bit);
    await fh.write(b, 0, 1, offset);
  } finally {
    await fh.close();
  }
}

/** Rewrites a text file; fails the test if the edit changed nothing. */
export async function tamper(path: string, edit: (text: string) => string): Promise<void> {
  const before = await readFile(path, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`tamper ${path}: the edit changed nothing`);
  await writeFile(path, after);
}

const editJson = <T>(path: string, edit: (v: T) => T) =>
  tamper(path, (s) => JSON.stringify(edit(JSON.parse(s) as T)));

type Proof = { seq: number; leafIndex: number; treeSize: number; auditPath: string[] };
type Checkpoint = { origin: string; treeSize: number; rootHash: string; at: string; signature: string };

export interface Tampering {
  name: string;
  /** The disc is built whole with this key (an attacker who re-made it) instead of the genuine one. */
  discKey?: DiscKey;
  /** The fingerprint the reader has on paper (given to the verifier). */
  expectKey?: (d: Disc) => string;
  apply?: (d: Disc) => Promise<void>;
  /** [code, file] of every finding, in order. */
  found: (d: Disc) => [string, string][];
}

const genuine = newKey();

export const TAMPERINGS: Tampering[] = [
  {
    name: 'a flipped bit in one clip',
    apply: (d) => flipBit(join(d.dir, d.clips[0]!.path), 12_345),
    found: () => [['hash-mismatch', 'clips/clip-a.mp4']],
  },
  {
    name: 'a removed clip',
    apply: (d) => rm(join(d.dir, d.clips[1]!.path)),
    found: () => [['missing-file', 'clips/clip-b.mp4']],
  },
  {
    name: 'an added file',
    apply: (d) => writeFile(join(d.dir, 'clips', 'clip-z.mp4'), 'planted'),
    found: () => [['unexpected-file', 'clips/clip-z.mp4']],
  },
  {
    name: 'an edited manifest',
    apply: (d) => tamper(join(d.dir, 'manifest.json'), (s) => s.replace('某市中级人民法院', '某区人民法院')),
    found: () => [['manifest-mismatch', 'manifest.json']],
  },
  {
    name: 'a clip swapped together with its manifest row',
    apply: async (d) => {
      await writeFile(join(d.dir, d.clips[1]!.path), 'another recording');
      await tamper(join(d.dir, 'manifest.json'), (s) =>
        s.replace(d.clips[1]!.sha256, 'f'.repeat(64)).replace('"bytes": 3000', '"bytes": 17'),
      );
    },
    found: () => [
      ['manifest-mismatch', 'manifest.json'],
      ['ingest-mismatch', 'clips/clip-b.mp4'],
      ['hash-mismatch', 'clips/clip-b.mp4'],
    ],
  },
  {
    name: 'a forged proof',
    apply: (d) =>
      editJson<Proof[]>(join(d.dir, 'custody', 'proofs.json'), (proofs) => {
        const p = proofs.find((x) => x.seq === d.seqs[1])!;
        const h = p.auditPath[0]!;
        p.auditPath[0] = `${h.slice(0, 63)}${h.endsWith('0') ? '1' : '0'}`;
        return proofs;
      }),
    // The clip's ingest entry is no longer proven, so nothing vouches for that clip either.
    found: () => [
      ['proof-invalid', 'custody/proofs.json'],
      ['ingest-missing', 'clips/clip-b.mp4'],
    ],
  },
  {
    name: 'an edited audit line with its proof kept',
    apply: (d) =>
      tamper(join(d.dir, 'custody', 'audit.jsonl'), (s) => s.replace(d.clips[0]!.sha256, 'a'.repeat(64))),
    found: () => [
      ['proof-invalid', 'custody/proofs.json'],
      ['ingest-missing', 'clips/clip-a.mp4'],
    ],
  },
  {
    name: 'an audit line whose proof was removed',
    apply: (d) =>
      editJson<Proof[]>(join(d.dir, 'custody', 'proofs.json'), (ps) =>
        ps.filter((p) => p.seq !== d.seqs.at(-1)),
      ),
    found: () => [
      ['proof-missing', 'custody/proofs.json'],
      ['export-entry-missing', 'custody/audit.jsonl'],
    ],
  },
  {
    name: 'a checkpoint signed by another key',
    apply: (d) =>
      editJson<Checkpoint>(join(d.dir, 'custody', 'checkpoint.json'), (c) => ({
        ...c,
        signature: signCheckpoint(c, newKey()),
      })),
    found: () => [['bad-signature', 'custody/checkpoint.json']],
  },
  {
    name: 'a checkpoint whose tree size was changed under its signature',
    apply: (d) =>
      editJson<Checkpoint>(join(d.dir, 'custody', 'checkpoint.json'), (c) => ({
        ...c,
        treeSize: c.treeSize + 1,
      })),
    found: () => [
      ['bad-signature', 'custody/checkpoint.json'],
      ['proof-mismatch', 'custody/proofs.json'],
      ['proof-mismatch', 'custody/proofs.json'],
      ['proof-mismatch', 'custody/proofs.json'],
      ['proof-mismatch', 'custody/proofs.json'],
      ['export-entry-missing', 'custody/audit.jsonl'],
      ['ingest-missing', 'clips/clip-a.mp4'],
      ['ingest-missing', 'clips/clip-b.mp4'],
    ],
  },
  {
    name: 'a disc re-made whole with another key, checked against the fingerprint on paper',
    discKey: newKey(),
    expectKey: () => genuine.fingerprint,
    found: () => [['key-not-expected', 'custody/gateway-key.json']],
  },
  {
    name: 'a key file stating a fingerprint that is not its key',
    apply: (d) =>
      editJson<Record<string, unknown>>(join(d.dir, 'custody', 'gateway-key.json'), (k) => ({
        ...k,
        fingerprint: 'b'.repeat(64),
      })),
    found: () => [['key-fingerprint-mismatch', 'custody/gateway-key.json']],
  },
  {
    name: 'a manifest row pointing outside the disc',
    apply: (d) =>
      tamper(join(d.dir, 'manifest.json'), (s) => s.replace('"clips/clip-b.mp4"', '"../../etc/passwd"')),
    found: () => [
      ['manifest-mismatch', 'manifest.json'],
      ['bad-path', 'manifest.json'],
      ['unexpected-file', 'clips/clip-b.mp4'],
    ],
  },
];
