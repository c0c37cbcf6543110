/**
 * The gateway's disk reaches its reserve during a hearing, on a small real filesystem (tmpfs):
 * camera recording stops cleanly before the disk fills, an interruption with cause `storage`
 * opens and the alert goes out at once (R19); once space is freed recording resumes by itself and
 * the interruption ends; every stored segment is intact and plays.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InterruptionRecord } from '../../gateway/interruptions/record.js';
import {
  type HearingRig,
  interruptionIds,
  newInterruption,
  probeMedia,
  startHearingRig,
  startHearingWithSegment,
  waitFor,
} from './rig.js';

const MB = 1024 * 1024;
const RESERVE = 12 * MB;
const root = process.getuid?.() === 0;
if (!root) console.log('storage-full.test: skipped, mounting a tmpfs needs root (CI runs as root)');

async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return s.bavail * s.bsize;
}

describe.skipIf(!root)('the disk fills during a hearing', () => {
  let mnt = '';
  let rig: HearingRig;
  beforeAll(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'hearing-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', mnt]);
    rig = await startHearingRig(1, {
      firstOctet: 181,
      dataDir: join(mnt, 'data'),
      camera: { audio: 'pcma' },
      gateway: { dock: { reserveBytes: RESERVE }, storage: { stateReserveBytes: 2 * MB } },
    });
  }, 60_000);
  afterAll(async () => {
    await rig?.stop();
    if (mnt) {
      execFileSync('umount', ['-l', mnt]);
      await rm(mnt, { recursive: true, force: true });
    }
  });

  it('holds recording before the reserve is eaten, alerts at once, resumes when space returns', async () => {
    const id = await startHearingWithSegment(rig, 'DISK-1');
    const before = await interruptionIds(rig, id);

    // Ballast leaves 3 MB above the reserve: less than the margin a recording camera needs.
    const ballast = join(mnt, 'ballast');
    await writeFile(ballast, Buffer.alloc(Math.max(0, (await freeBytes(mnt)) - RESERVE - 3 * MB)));
    const opened = await newInterruption(rig, id, before);
    expect(opened.cause).toBe('storage');
    expect(opened.device).toBe('cam1');
    expect(String(opened.details?.reason)).toMatch(/storage full/);
    const alerts = (await rig.principal.get('/api/alerts')).body as { rule: string; subject: string }[];
    expect(alerts.find((a) => a.subject === 'hearing-recording')).toMatchObject({
      rule: 'disk-reserve',
      severity: 'critical',
    });
    const held = await waitFor(async () => {
      const c = (await rig.staff.get(`/api/hearings/${id}`)).body.live.cameras[0];
      return c.state === 'storage-full' && c.open === null ? c : undefined;
    }, 'camera held');
    expect(held.gap.cause).toBe('storage');
    // Held means nothing more is written: the reserve stays free.
    const freeHeld = await freeBytes(mnt);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await freeBytes(mnt)).toBeGreaterThanOrEqual(Math.min(freeHeld, RESERVE));
    expect(await freeBytes(mnt)).toBeGreaterThanOrEqual(RESERVE);

    await rm(ballast);
    const resumed = await waitFor(async () => {
      const r = await rig.principal.get(`/api/interruptions/${opened.id}`);
      return r.body.end !== null ? (r.body as InterruptionRecord) : undefined;
    }, 'interruption resumed');
    expect(resumed.resumed).toBe(true);
    await waitFor(async () => {
      const segs = (await rig.staff.get(`/api/hearings/${id}/segments`)).body as { start: number }[];
      return segs.some((s) => s.start >= (resumed.end ?? 0)) || undefined;
    }, 'a segment after space returned');
    const active = (await rig.principal.get('/api/alerts?active=true')).body as { subject: string }[];
    expect(active.some((a) => a.subject === 'hearing-recording')).toBe(false);

    const stopped = await rig.staff.post(`/api/hearings/${id}/stop`);
    expect(stopped.status).toBe(200);
    const gaps = stopped.body.summary.cameras[0].gaps as { interruptionId: string; cause: string }[];
    expect(gaps.find((g) => g.interruptionId === opened.id)?.cause).toBe('storage');
    // Nothing corrupted: every stored segment matches its hash and plays.
    const store = rig.gw.app.store;
    const clips = await store.index.listBySession(id);
    expect(clips.length).toBeGreaterThanOrEqual(2);
    for (const clip of clips) {
      expect(clip.state).toBe('verified');
      const path = store.layout.abs(clip.blob!);
      expect(
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex'),
      ).toBe(clip.sha256);
      expect((await probeMedia(path)).durationS).toBeGreaterThan(0);
    }
  }, 120_000);
});
