import { describe, expect, it } from 'vitest';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { officer } from './fixture.js';
import { ptyDockHarness } from './pty-harness.js';

const h = ptyDockHarness('dock-pty-', 'officer');
const { register, plug, seat, apiState, apiGone } = h;

describe('dock over PTY pairs', () => {
  it('refuses an unknown recorder, with the reason shown in the API', async () => {
    const { pair, slot } = await plug();
    const { recorder } = await recorderWithClips({ serial: 'PTY-UNKNOWN', clipBytes: [5_000] });
    const device = await seat(recorder, pair);
    const s = await apiState(slot, 'refused');
    expect(s.serial).toBe('PTY-UNKNOWN');
    expect(s.reason).toMatch(/PTY-UNKNOWN is not registered in this gateway's fleet/);
    expect(device.stats.reads).toBe(0);
    expect(recorder.clips()).toHaveLength(1);
    // Other roles of the list may read it too; a hearing-room user may not.
    expect((await (await h.gw.as('auditor')).get('/api/docks')).status).toBe(200);
    expect((await (await h.gw.as('hearing-staff')).get('/api/docks')).status).toBe(403);
  });

  it('resumes at the byte offset after an unplug mid-transfer and a re-dock on the same path', async () => {
    await register('PTY-UNPLUG');
    const { pair, slot } = await plug('dockU');
    const size = 1_500_000;
    const { recorder } = await recorderWithClips({ serial: 'PTY-UNPLUG', clipBytes: [size], officer });
    const clip = { ...recorder.clips()[0]! };
    // The recorder stops answering half way; the cable is pulled while the transfer hangs.
    const first = await seat(recorder, pair, { faults: { stallAfterDataBytes: size / 2 } });
    const stalled = new Promise<void>((resolve) => {
      first.on('data', (d) => {
        if (d.totalBytes >= size / 2) resolve();
      });
    });
    await apiState(slot, 'uploading');
    await stalled;
    const sentBeforeUnplug = first.stats.dataBytes;
    expect(sentBeforeUnplug).toBeLessThan(size);
    // Let the bytes on the wire arrive (the partial file holds all of them), then pull the cable.
    for (;;) {
      const t = (await h.gw.app.store.tempTransfers()).find((x) => x.key.endsWith(clip.clipId));
      if (t?.bytes === sentBeforeUnplug) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    await pair.unplug();
    await apiGone(slot);
    // Re-dock: a new cable on the same path.
    const again = await plug('dockU');
    const reads: number[] = [];
    const second = await seat(recorder, again.pair);
    second.on('read', (r) => reads.push(r.offset));
    const done = await apiState(slot, 'ready');
    expect(done.clips[0]?.result).toBe('verified');
    // Everything the first cable delivered was kept: the transfer went on from there.
    // (Under load a READ may be retransmitted: offsets can repeat, never go below the resume point.)
    expect(reads[0]).toBe(sentBeforeUnplug);
    expect(Math.min(...reads)).toBe(sentBeforeUnplug);
    expect(second.stats.dataBytes).toBeGreaterThanOrEqual(size - sentBeforeUnplug);
    const rec = await h.gw.app.store.index.get(clip.clipId);
    expect(rec?.state).toBe('verified');
    expect(rec?.sha256).toBe(clip.sha256);
    expect(rec?.officer).toEqual(officer);
    expect(recorder.clips()).toHaveLength(0);
    const types = (await h.gw.app.store.audit.bySubject(`clip:${clip.clipId}`)).map((e) => e.type);
    expect(types).toEqual(['ingest', 'release']);
  });

  it('detects bit flips in DATA and lost frames, and fetches those ranges again', async () => {
    await register('PTY-FLIP');
    const { pair, slot } = await plug();
    const { recorder } = await recorderWithClips({ serial: 'PTY-FLIP', clipBytes: [300_000] });
    const clip = { ...recorder.clips()[0]! };
    const device = await seat(recorder, pair, { faults: { flipDataBits: 5, corruptWireFrames: 1 } });
    const done = await apiState(slot, 'ready');
    expect(done.clips[0]?.result).toBe('verified');
    expect(device.faults.flipDataBits).toBe(0);
    expect(device.faults.corruptWireFrames).toBe(0);
    // 19 chunks of 16 KiB, plus one more READ for each of the 6 damaged frames.
    expect(device.stats.reads).toBeGreaterThanOrEqual(19 + 6);
    expect((await h.gw.app.store.index.get(clip.clipId))?.sha256).toBe(clip.sha256);
    expect(recorder.clips()).toHaveLength(0);
  });

  it('quarantines the clip of a recorder that lies about its hash: kept, not released, alert', async () => {
    await register('PTY-LIAR');
    const { pair, slot } = await plug();
    const { recorder } = await recorderWithClips({ serial: 'PTY-LIAR', clipBytes: [40_000], officer });
    const clip = { ...recorder.clips()[0]! };
    const device = await seat(recorder, pair, { faults: { lieAboutHash: { times: 'always' } } });
    const done = await apiState(slot, 'ready');
    expect(done.clips[0]?.result).toBe('quarantined');
    expect(device.stats.releases).toBe(0);
    expect(recorder.clips()).toHaveLength(1);
    const rec = await h.gw.app.store.index.get(clip.clipId);
    expect(rec?.state).toBe('quarantined');
    expect(rec?.quarantine?.held.map((h) => h.sha256)).toEqual([clip.sha256]);
    const alerts = await (await h.gw.as('principal')).get('/api/alerts?active=true');
    expect(alerts.status).toBe(200);
    const list = (alerts.body.alerts ?? alerts.body) as { rule: string; subject: string; notify: string[] }[];
    const a = list.find((x) => x.rule === 'clip-quarantined' && x.subject === `clip:${clip.clipId}`);
    expect(a?.notify).toContain('principal');
  });

  it('pauses at the disk reserve with an alarm and resumes when space is freed', async () => {
    await register('PTY-FULL');
    let free = 0;
    h.gw.app.docks.disk.setFreeBytesSource(async () => free);
    h.gw.app.docks.disk.pollMs = 50;
    try {
      const { pair, slot } = await plug();
      const { recorder } = await recorderWithClips({ serial: 'PTY-FULL', clipBytes: [100_000] });
      const device = await seat(recorder, pair);
      const paused = await apiState(slot, 'paused');
      expect(paused.reason).toMatch(/disk reserve reached/);
      expect(h.gw.app.alerts.activeFor('disk-reserve', 'gateway-store')).toBeDefined();
      expect(device.stats.dataBytes).toBe(0);
      expect(recorder.clips()).toHaveLength(1);
      free = 1e15;
      const done = await apiState(slot, 'ready');
      expect(done.clips[0]?.result).toBe('verified');
      expect(h.gw.app.alerts.activeFor('disk-reserve', 'gateway-store')).toBeUndefined();
      expect(recorder.clips()).toHaveLength(0);
    } finally {
      h.gw.app.docks.disk.setFreeBytesSource(() => h.gw.app.store.disk.freeBytes());
    }
  });

  it('pairs an officer over the serial link', async () => {
    await register('PTY-PAIR');
    const { pair, slot } = await plug();
    const { recorder } = await recorderWithClips({ serial: 'PTY-PAIR', clipBytes: [] });
    await seat(recorder, pair);
    await apiState(slot, 'ready');
    const s = await h.gw.app.docks.slot(slot)!.pair(officer);
    expect(s.officer).toEqual(officer);
    expect(recorder.officer).toEqual(officer);
    expect((await h.gw.app.docks.unpair('PTY-PAIR')).officer).toBeNull();
  });
});
