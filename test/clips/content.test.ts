/**
 * Clip access (R24, R25) on a clip that came in over a real dock link: a real H.264 MP4 made by
 * ffmpeg on the simulated recorder, docked over a socat PTY pair, verified into the real store.
 * Content with HTTP Range, every view and download audited with who and why, search, per-clip
 * access rules, and no path that edits or deletes an original.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { FfmpegClipSource } from '../../device-sim/recorder/ffmpeg-clip-source.js';
import type { ClipRecord } from '../../gateway/store/index.js';
import type { Officer } from '../../protocol/common.js';
import type { ApiClient } from '../helpers/gateway.js';
import { type DockRig, dockRig, officerOf } from '../pairing/rig.js';

let rig: DockRig;
let source: FfmpegClipSource;
let legal: ApiClient;
let officer: ApiClient;
let me: Officer;
let clip: ClipRecord;
let original: Buffer;
const SERIAL = 'CLIP-MP4';

beforeAll(async () => {
  rig = await dockRig();
  legal = await rig.gw.as('legal-affairs');
  officer = await rig.gw.as('officer');
  me = officerOf(officer, '赵警官');
  await rig.register(SERIAL);
  source = new FfmpegClipSource({ maxSeconds: 2 });
  const { recorder } = await recorderWithClips({
    serial: SERIAL,
    clipBytes: [0],
    clipSeconds: 2,
    officer: me,
    clips: source,
  });
  const { pair, slot } = await rig.plug();
  await rig.seat(recorder, pair);
  const done = await rig.slotState(slot, 'ready');
  expect(done.clips[0]?.result).toBe('verified');
  clip = (await rig.gw.app.store.index.get(done.clips[0]!.clipId))!;
  original = await readFile(rig.gw.app.store.layout.blobPath('blobs', clip.sha256));
});

afterAll(async () => {
  await rig?.close();
  await source?.close();
});

type Res = { status: number; headers: Headers; bytes: Buffer };

async function content(client: ApiClient, path: string, range?: string): Promise<Res> {
  const r = await fetch(`${rig.gw.url}${path}`, {
    headers: { authorization: `Bearer ${client.token}`, ...(range ? { range } : {}) },
  });
  return { status: r.status, headers: r.headers, bytes: Buffer.from(await r.arrayBuffer()) };
}

async function accesses(): Promise<{ seq: number; actor: string; details: Record<string, unknown> }[]> {
  return (await rig.gw.app.store.audit.bySubject(`clip:${clip.clipId}`)).filter(
    (e) => e.type === 'clip-access',
  );
}

const url = (reason: string, action?: string) =>
  `/api/clips/${clip.clipId}/content?reason=${encodeURIComponent(reason)}${action ? `&action=${action}` : ''}`;

describe('clip content', () => {
  it('streams the original as video/mp4, logging who and why before the bytes', async () => {
    expect(original.toString('latin1', 4, 8)).toBe('ftyp');
    const r = await content(legal, url('案件复核 JC-1'));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('video/mp4');
    expect(r.headers.get('accept-ranges')).toBe('bytes');
    expect(r.headers.get('content-length')).toBe(String(clip.bytes));
    expect(r.headers.get('content-disposition')).toMatch(/^inline; filename=".+\.mp4"$/);
    expect(createHash('sha256').update(r.bytes).digest('hex')).toBe(clip.sha256);
    const log = await accesses();
    expect(log).toHaveLength(1);
    expect(log[0]!.actor).toBe(legal.username);
    expect(log[0]!.details).toMatchObject({
      action: 'view',
      reason: '案件复核 JC-1',
      sha256: clip.sha256,
      role: 'legal-affairs',
    });
    expect(r.headers.get('x-audit-seq')).toBe(String(log[0]!.seq));
  });

  it('serves byte ranges so the player can seek, covered by that one logged view', async () => {
    const size = clip.bytes;
    const mid = await content(legal, url('案件复核 JC-1'), 'bytes=100-1099');
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe(`bytes 100-1099/${size}`);
    expect(mid.headers.get('content-length')).toBe('1000');
    expect(mid.bytes.equals(original.subarray(100, 1100))).toBe(true);

    const open = await content(legal, url('案件复核 JC-1'), `bytes=${size - 300}-`);
    expect(open.status).toBe(206);
    expect(open.bytes.equals(original.subarray(size - 300))).toBe(true);

    const suffix = await content(legal, url('案件复核 JC-1'), 'bytes=-64');
    expect(suffix.status).toBe(206);
    expect(suffix.headers.get('content-range')).toBe(`bytes ${size - 64}-${size - 1}/${size}`);
    expect(suffix.bytes.equals(original.subarray(size - 64))).toBe(true);

    const past = await content(legal, url('案件复核 JC-1'), `bytes=${size}-`);
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${size}`);

    // One playback, one entry: the seeks of the same view did not add any.
    expect(await accesses()).toHaveLength(1);
    expect(mid.headers.get('x-audit-seq')).toBe(String((await accesses())[0]!.seq));
  });

  it('logs a download, and any other reason or user, as a new access', async () => {
    const dl = await content(legal, url('移送纪检监察 2026-7', 'download'), 'bytes=0-99');
    expect(dl.status).toBe(206);
    expect(dl.headers.get('content-disposition')).toMatch(/^attachment; filename=".+\.mp4"$/);
    const principal = await rig.gw.as('principal');
    const pv = await content(principal, url('审批对外提供'));
    expect(pv.status).toBe(200);
    const log = await accesses();
    expect(log.map((e) => [e.actor, e.details.action, e.details.reason])).toEqual([
      [legal.username, 'view', '案件复核 JC-1'],
      [legal.username, 'download', '移送纪检监察 2026-7'],
      [principal.username, 'view', '审批对外提供'],
    ]);
  });

  it('refuses to open a clip without a reason', async () => {
    const before = (await accesses()).length;
    const r = await content(legal, `/api/clips/${clip.clipId}/content`);
    expect(r.status).toBe(400);
    expect(r.bytes.toString()).toMatch(/reason/);
    const blank = await content(legal, url('   '));
    expect(blank.status).toBe(400);
    expect(await accesses()).toHaveLength(before);
  });

  it('lets the officer view their own clip but not download it or see others', async () => {
    const view = await content(officer, url('写执法记录'));
    expect(view.status).toBe(200);
    expect(view.bytes.length).toBe(clip.bytes);
    const dl = await content(officer, url('留存', 'download'));
    expect(dl.status).toBe(403);
    const other = await rig.gw.as('officer');
    expect((await content(other, url('看看'))).status).toBe(403);
    expect((await other.get(`/api/clips/${clip.clipId}`)).status).toBe(403);
    expect((await other.get(`/api/clips?officerId=${me.id}`)).status).toBe(403);
    // Without a filter an officer's search is their own clips.
    expect((await other.get('/api/clips')).body).toEqual([]);
    const own = await officer.get('/api/clips');
    expect(own.body.map((c: { clipId: string }) => c.clipId)).toEqual([clip.clipId]);
    const staff = await rig.gw.as('hearing-staff');
    expect((await content(staff, url('看看'))).status).toBe(403);
    const log = await accesses();
    expect(log.filter((e) => e.actor !== legal.username && e.actor !== officer.username)).toHaveLength(1);
    expect(log.at(-1)).toMatchObject({
      actor: officer.username,
      details: { action: 'view', reason: '写执法记录' },
    });
  });

  it('has no route that edits or deletes a clip (R25)', async () => {
    for (const method of ['DELETE', 'PUT', 'PATCH', 'POST']) {
      const r = await legal.request(method, `/api/clips/${clip.clipId}`, { caseNo: 'X' });
      expect(r.status).toBe(404);
      const c = await legal.request(method, `/api/clips/${clip.clipId}/content?reason=x`, 'x');
      expect(c.status).toBe(404);
    }
    expect(
      rig.gw.app.api.routes.filter((r) => r.path.startsWith('/api/clips') && r.method !== 'get'),
    ).toEqual([]);
    expect(
      createHash('sha256')
        .update(await readFile(rig.gw.app.store.layout.blobPath('blobs', clip.sha256)))
        .digest('hex'),
    ).toBe(clip.sha256);
  });
});

describe('clip search', () => {
  it('finds the clip by recorder, officer, case number and date range', async () => {
    const ids = async (q: string) => {
      const r = await legal.get(`/api/clips?${q}`);
      expect(r.status).toBe(200);
      return r.body.map((c: { clipId: string }) => c.clipId);
    };
    expect(await ids(`serial=${SERIAL}`)).toEqual([clip.clipId]);
    expect(await ids(`officerId=${me.id}`)).toEqual([clip.clipId]);
    expect(await ids(`caseNo=CASE-${SERIAL}`)).toEqual([clip.clipId]);
    expect(await ids(`caseNo=NO-SUCH`)).toEqual([]);
    const day = new Date(clip.start);
    const from = new Date(clip.start - 3_600_000).toISOString();
    const to = new Date(clip.start + 3_600_000).toISOString();
    expect(await ids(`from=${from}&to=${to}`)).toContain(clip.clipId);
    expect(await ids(`from=${clip.start + 1}`)).not.toContain(clip.clipId);
    expect(await ids(`serial=${SERIAL}&to=${day.toISOString()}`)).toEqual([]);
    expect(await ids('state=verified')).toContain(clip.clipId);
    expect(await ids('state=overdue')).not.toContain(clip.clipId);
    const bad = await legal.get('/api/clips?from=yesterday');
    expect(bad.status).toBe(400);

    const one = await legal.get(`/api/clips/${clip.clipId}`);
    expect(one.body).toMatchObject({
      clipId: clip.clipId,
      state: 'verified',
      officer: me,
      source: { kind: 'recorder', id: SERIAL },
      deadline: clip.end + 24 * 3_600_000,
      progress: 1,
    });
    // Supervisors see the custody trail: ingest, release, then each access.
    expect(one.body.custody.map((e: { type: string }) => e.type).slice(0, 2)).toEqual(['ingest', 'release']);
    expect(one.body).not.toHaveProperty('blob');
  });
});
