/**
 * R25: never serve altered bytes under an original's hash. Over real HTTP against the real gateway:
 * an original altered on disk (made writable first, as an attacker would) is not handed out whole
 * (a download is cut before its last bytes), is moved to quarantine, raises a critical alert to the
 * principal and legal affairs and writes `integrity-failure`; a Range request on an altered
 * original is refused, a seek is served at once and checked per 1 MiB chunk (never an altered
 * chunk's bytes) while the whole file is re-hashed behind it. R24: every download is its own `clip-access` entry; the seeks of one
 * viewing share one.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKFILL_SUBJECT } from '../../gateway/clips/chunk-backfill.js';
import { ChunkTables } from '../../gateway/clips/chunk-table.js';
import type { ClipRecord } from '../../gateway/store/index.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { alterOnDisk, fetchAll, ingestClip } from './helpers.js';

let gw: TestGateway;
let legal: ApiClient;
let principal: ApiClient;

beforeAll(async () => {
  gw = await startGateway({ integrity: { sweepEveryH: 0 } });
  legal = await gw.as('legal-affairs');
  principal = await gw.as('principal');
});
afterAll(async () => {
  await gw?.stop();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const contentUrl = (clip: ClipRecord, reason: string, action = 'view') =>
  `${gw.url}/api/clips/${clip.clipId}/content?reason=${encodeURIComponent(reason)}&action=${action}`;
const blobOf = (clip: ClipRecord) => gw.app.store.layout.blobPath('blobs', clip.sha256);

async function accesses(clip: ClipRecord) {
  return (await gw.app.store.audit.bySubject(`clip:${clip.clipId}`)).filter((e) => e.type === 'clip-access');
}

async function failuresOf(clip: ClipRecord) {
  return (await gw.app.store.audit.bySubject(`clip:${clip.clipId}`)).filter(
    (e) => e.type === 'integrity-failure',
  );
}

/** The chunk table the gateway makes right after ingest (seeks are checked against it). */
async function tableOf(clip: ClipRecord) {
  const tables = new ChunkTables(gw.app.db);
  return waitFor(() => tables.get(clip.sha256), `chunk table of ${clip.clipId}`);
}

async function quarantinedAndAlerted(clip: ClipRecord) {
  const rec = await waitFor(async () => {
    const r = await gw.app.store.index.get(clip.clipId);
    return r?.state === 'quarantined' ? r : undefined;
  }, `clip ${clip.clipId} quarantined`);
  const integrity = await waitFor(async () => {
    const r = await principal.get('/api/integrity');
    return r.body.failures.find((f: { subject: string }) => f.subject === `clip:${clip.clipId}`);
  }, 'integrity failure listed');
  return { rec, integrity };
}

describe('serving originals', () => {
  it('serves an intact original whole with its hash', async () => {
    const clip = await ingestClip(gw.app);
    const r = await fetchAll(contentUrl(clip, '复核 JC-9', 'download'), legal.token);
    expect(r.error).toBeNull();
    expect(r.status).toBe(200);
    expect(r.headers.get('x-content-sha256')).toBe(clip.sha256);
    expect(sha(r.bytes)).toBe(clip.sha256);
  });

  it('cuts a download of an altered original short, quarantines it and alerts', async () => {
    // A last read of a few bytes: the error text the server writes must not fill the body up.
    const clip = await ingestClip(gw.app, 3 * 1024 * 1024 + 10);
    const blob = blobOf(clip);
    await alterOnDisk(blob, 1024 * 1024 + 17);
    const r = await fetchAll(contentUrl(clip, '移送法院', 'download'), legal.token);
    // Headers went out first (200, the original's hash); the body never completes.
    expect(r.headers.get('x-content-sha256')).toBe(clip.sha256);
    expect(r.error).not.toBeNull();
    expect(r.bytes.length).toBeLessThan(clip.bytes);

    const { rec, integrity } = await quarantinedAndAlerted(clip);
    expect(integrity).toMatchObject({ severity: 'critical', rule: 'integrity-failure', active: true });
    expect(integrity.notify).toEqual(expect.arrayContaining(['principal', 'legal-affairs']));
    const held = rec.quarantine!.held.at(-1)!;
    expect(held.sha256).not.toBe(clip.sha256);
    // Moved, not deleted: the altered bytes are kept read-only in quarantine/, gone from blobs/.
    const kept = gw.app.store.layout.blobPath('quarantine', held.sha256);
    expect((await stat(kept)).mode & 0o777).toBe(0o400);
    await expect(stat(blob)).rejects.toThrow(/ENOENT/);
    const [entry] = await failuresOf(clip);
    expect(entry?.details).toMatchObject({
      kind: 'altered',
      detectedBy: 'serve',
      expectedSha256: clip.sha256,
      actualSha256: held.sha256,
    });
    // The store verifies clean again: the failure is recorded, the original's manifest accounted for.
    const report = await gw.app.store.verify();
    expect(report.summary).toMatchObject({ altered: 0, missing: 0, orphans: 0, sidecarProblems: 0 });
  });

  it('refuses a byte range of an altered original (checked whole when the viewing opens)', async () => {
    const clip = await ingestClip(gw.app);
    await alterOnDisk(blobOf(clip), 5);
    const r = await fetchAll(contentUrl(clip, '播放'), legal.token, 'bytes=0-1023');
    expect(r.status).toBe(500);
    expect(JSON.parse(r.bytes.toString()).error.code).toBe('STORE_CORRUPT');
    await quarantinedAndAlerted(clip);
  });

  it('serves the first seek of a viewing at once, checked per chunk, while the whole pass runs behind it', async () => {
    // Altered in its last MiB: the whole-file hash fails, the first MiB is still the original's.
    const clip = await ingestClip(gw.app, 12 * 1024 * 1024);
    await tableOf(clip);
    const original = await readFile(blobOf(clip));
    await alterOnDisk(blobOf(clip), 12 * 1024 * 1024 - 5);
    const first = await fetchAll(contentUrl(clip, '播放 2'), legal.token, 'bytes=1024-4095');
    // Served without waiting for the whole-file verdict, which fails: the original's bytes.
    expect(first.status).toBe(206);
    expect(first.error).toBeNull();
    expect(first.bytes.equals(original.subarray(1024, 4096))).toBe(true);
    // The pass behind it quarantines the original and alerts; the viewing's next range is refused.
    await quarantinedAndAlerted(clip);
    const next = await fetchAll(contentUrl(clip, '播放 2'), legal.token, 'bytes=0-1023');
    expect(next.status).toBe(500);
    expect(JSON.parse(next.bytes.toString()).error.code).toBe('STORE_CORRUPT');
  });

  it('never sends the bytes of an altered chunk in a range', async () => {
    const clip = await ingestClip(gw.app, 12 * 1024 * 1024);
    await tableOf(clip);
    const original = await readFile(blobOf(clip));
    await alterOnDisk(blobOf(clip), 2 * 1024 * 1024 + 5);
    const from = 1024 * 1024 - 100;
    const r = await fetchAll(contentUrl(clip, '播放 3'), legal.token, `bytes=${from}-${3 * 1024 * 1024}`);
    // The chunks before the altered one, then the body is cut off (or refused once quarantined).
    expect(r.status === 206 ? r.error : 'refused').not.toBeNull();
    expect(r.bytes.length).toBeLessThanOrEqual(2 * 1024 * 1024 - from);
    if (r.status === 206) expect(r.bytes.equals(original.subarray(from, from + r.bytes.length))).toBe(true);
    await quarantinedAndAlerted(clip);
  });
});

describe('chunk tables back-filled for originals stored without one', () => {
  it('makes them in one audited background pass, so the first seek of an old clip is served at once', async () => {
    const MiB = 1024 * 1024;
    const old = await ingestClip(gw.app, 6 * MiB);
    const altered = await ingestClip(gw.app, 2 * MiB);
    // As if stored before chunk tables existed.
    const tables = new ChunkTables(gw.app.db);
    for (const c of [old, altered]) {
      await tableOf(c);
      await tables.delete(c.sha256);
    }
    await alterOnDisk(blobOf(altered), 100);
    const passes = async () =>
      (await gw.app.store.audit.bySubject(BACKFILL_SUBJECT)).filter((e) => e.type === 'verify');
    const before = (await passes()).length;

    const r = await gw.app.chunkBackfill.run();
    expect(r.made).toBeGreaterThanOrEqual(1);
    expect(r.failed.map((f) => f.clipId)).toEqual([altered.clipId]);
    expect((await tables.get(old.sha256))?.identity).toBeDefined();
    expect(await tables.get(altered.sha256)).toBeUndefined();
    // The altered one went the way of any failed check: quarantined, alerted.
    await quarantinedAndAlerted(altered);
    // One summary entry for the whole pass; a pass that finds nothing to do writes none.
    const entries = await passes();
    expect(entries).toHaveLength(before + 1);
    expect(entries.at(-1)!.details).toMatchObject({
      pass: 'chunk-table back-fill',
      made: r.made,
      failures: 1,
      failed: [expect.objectContaining({ clipId: altered.clipId })],
    });
    expect((await gw.app.chunkBackfill.run()).made).toBe(0);
    expect(await passes()).toHaveLength(before + 1);

    // Altered in its last MiB after the pass: the first seek is served from the back-filled table
    // (without one it would wait for the whole pass, which fails), the next range refused.
    const original = await readFile(blobOf(old));
    await alterOnDisk(blobOf(old), 6 * MiB - 5);
    const first = await fetchAll(contentUrl(old, '播放 旧'), legal.token, 'bytes=1024-4095');
    expect(first.status).toBe(206);
    expect(first.bytes.equals(original.subarray(1024, 4096))).toBe(true);
    await quarantinedAndAlerted(old);
  });
});

describe('access entries (R24)', () => {
  it('logs every download as its own entry, and one entry per viewing', async () => {
    const clip = await ingestClip(gw.app, 256 * 1024);
    for (let i = 0; i < 3; i++) {
      const r = await fetchAll(contentUrl(clip, '移送检察院', 'download'), legal.token);
      expect(sha(r.bytes)).toBe(clip.sha256);
    }
    expect((await accesses(clip)).map((e) => e.details.action)).toEqual(['download', 'download', 'download']);

    for (const range of ['bytes=0-999', 'bytes=1000-1999', undefined, 'bytes=-100']) {
      const r = await fetchAll(contentUrl(clip, '查看'), legal.token, range);
      expect(r.error).toBeNull();
    }
    const log = await accesses(clip);
    expect(log.map((e) => e.details.action)).toEqual(['download', 'download', 'download', 'view']);
  });
});
