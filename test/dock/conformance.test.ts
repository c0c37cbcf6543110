/**
 * PROTOCOL.md §3.9 conformance over real serial ports: socat PTY pairs, serialport on both ends,
 * the real gateway (ports found by the hot-plug watcher) and simulated recorders with fault hooks.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { DOCK_VERSIONS, DockErrorCode } from '../../protocol/dock/index.js';
import { waitFor } from '../helpers/wait.js';
import { ptyDockHarness } from './pty-harness.js';

const h = ptyDockHarness('dock-conf-', 'equipment-manager');
const { register, plug, seat, apiState } = h;

describe('dock link conformance (PROTOCOL.md §3.9) over PTY pairs', () => {
  it('§3.9 step 4: a BAD_CURSOR answer restarts the listing from the first page', async () => {
    await register('CONF-CURSOR');
    const { pair, slot } = await plug();
    // 70 clips: more than one LIST_CLIPS page (64), so the second page needs a cursor.
    const sizes = Array.from({ length: 70 }, (_, i) => 200 + i);
    const { recorder } = await recorderWithClips({
      serial: 'CONF-CURSOR',
      clipBytes: sizes,
      clipSeconds: 10,
    });
    const clips = recorder.clips().map((c) => ({ ...c }));
    expect(clips).toHaveLength(70);
    const states: string[] = [];
    const off = h.gw.app.bus.on('dock.changed', (e) => {
      if (e.slot === slot) states.push(e.state);
    });
    const device = await seat(recorder, pair, { faults: { expireCursors: 1 } });
    const done = await apiState(slot, 'ready');
    off();
    expect(device.stats.expiredCursors).toBe(1);
    // Page 1, page 2 refused, then page 1 and page 2 again.
    expect(device.stats.listPages).toBeGreaterThanOrEqual(4);
    expect(states).not.toContain('error');
    expect(done.clips).toHaveLength(70);
    expect(done.clips.every((c) => c.result === 'verified')).toBe(true);
    for (const c of clips) expect((await h.gw.app.store.index.get(c.clipId))?.sha256).toBe(c.sha256);
    expect(recorder.clips()).toHaveLength(0);
  });

  it('§3.9 step 1: an unregistered serial is refused NOT_REGISTERED, retries slowly, and is served once registered', async () => {
    const { pair, slot } = await plug();
    const { recorder } = await recorderWithClips({ serial: 'CONF-NEW', clipBytes: [4_000] });
    const clip = { ...recorder.clips()[0]! };
    const device = await seat(recorder, pair, { refusedHelloMs: 300 });
    const refused = new Promise<{ code: number; message: string }>((r) => device.once('refused', r));
    const s = await apiState(slot, 'refused');
    expect(s.serial).toBe('CONF-NEW');
    expect(s.reason).toMatch(/CONF-NEW is not registered in this gateway's fleet.*register it, then re-dock/);
    const err = await refused;
    expect(err.code).toBe(DockErrorCode.NOT_REGISTERED);
    expect(device.fault).toMatch(/^NOT_REGISTERED: .*not registered/);
    expect(device.helloRetryMs).toBe(300);
    // Refused HELLOs keep coming (slowly); each is checked again, the refusal is audited once.
    const hellos = device.stats.helloSent;
    await waitFor(() => device.stats.helloSent >= hellos + 2, 'slow HELLO retries');
    expect(h.gw.app.docks.slot(slot)?.state).toBe('refused');
    expect(device.stats.reads).toBe(0);
    const audit = await h.gw.app.store.audit.bySubject('recorder:CONF-NEW');
    expect(audit.map((e) => e.type)).toEqual(['recorder-refused']);
    // An equipment manager registers it: the next HELLO is served and the clip uploads.
    const reg = await h.api.post('/api/recorders', { serial: 'CONF-NEW' });
    expect(reg.status).toBeLessThan(300);
    const done = await apiState(slot, 'ready');
    expect(done.clips[0]?.result).toBe('verified');
    expect(device.fault).toBeNull();
    expect((await h.gw.app.store.index.get(clip.clipId))?.sha256).toBe(clip.sha256);
  });

  it.concurrent('§3.9.3: a partial copy of a clip the recorder now reports otherwise is set aside (audited) and the transfer restarts at 0', async () => {
    await register('CONF-CHANGED');
    const { pair, slot } = await plug('dockC');
    const size = 600_000;
    const first = await recorderWithClips({ serial: 'CONF-CHANGED', clipBytes: [size], instanceId: 'same' });
    const before = { ...first.recorder.clips()[0]! };
    // Half the clip arrives, then the recorder stalls and the cable is pulled.
    const d1 = await seat(first.recorder, pair, { faults: { stallAfterDataBytes: size / 2 } });
    await apiState(slot, 'uploading');
    await waitFor(() => d1.stats.dataBytes >= size / 2, 'half the clip sent');
    const sent = d1.stats.dataBytes;
    await waitFor(
      async () =>
        (await h.gw.app.store.tempTransfers()).find((t) => t.key.endsWith(before.clipId))?.bytes === sent,
      'partial persisted',
    );
    await pair.unplug();
    await d1.stop();
    await waitFor(async () => {
      const r = await h.api.get('/api/docks');
      const s = r.body.docks.find((x: { slot: string }) => x.slot === slot);
      return !s || s.state === 'empty';
    }, 'slot emptied');
    // The same recorder (same clip id) comes back describing the clip otherwise: other bytes, other size.
    const second = await recorderWithClips({
      serial: 'CONF-CHANGED',
      clipBytes: [size - 4_321],
      instanceId: 'same',
      seed: 'rewritten',
    });
    const after = { ...second.recorder.clips()[0]! };
    expect(after.clipId).toBe(before.clipId);
    expect(after.sha256).not.toBe(before.sha256);
    const again = await plug('dockC');
    const reads: number[] = [];
    let getClips = 0;
    const d2 = await seat(second.recorder, again.pair);
    d2.on('read', (r) => reads.push(r.offset));
    d2.on('get-clip', () => getClips++);
    const done = await apiState(slot, 'ready');
    expect(done.clips[0]?.result).toBe('verified');
    // GET_CLIP came first, then the transfer started over at 0 and fetched the whole new clip.
    expect(getClips).toBeGreaterThanOrEqual(1);
    expect(reads[0]).toBe(0);
    expect(d2.stats.dataBytes).toBeGreaterThanOrEqual(after.bytes);
    const rec = await h.gw.app.store.index.get(after.clipId);
    expect(rec?.state).toBe('verified');
    expect(rec?.sha256).toBe(after.sha256);
    expect(rec?.bytes).toBe(after.bytes);
    expect(second.recorder.clips()).toHaveLength(0);
    // The old partial bytes were kept aside, read-only, and audited with both descriptions.
    const entries = await h.gw.app.store.audit.bySubject(`clip:${after.clipId}`);
    expect(entries.map((e) => e.type)).toEqual(['partial-discarded', 'ingest', 'release']);
    const aside = entries[0]!.details as Record<string, string | number>;
    expect(aside).toMatchObject({
      recordedSha256: before.sha256,
      recordedBytes: before.bytes,
      reportedSha256: after.sha256,
      reportedBytes: after.bytes,
      keptBytes: sent,
    });
    const kept = await readFile(h.gw.app.store.layout.abs(String(aside.path)));
    expect(kept.length).toBe(sent);
    expect(createHash('sha256').update(kept).digest('hex')).toBe(aside.keptSha256);
    expect((await stat(h.gw.app.store.layout.abs(String(aside.path)))).mode & 0o222).toBe(0);
    // The set-aside bytes are the first half of the old clip.
    expect(kept.equals(await first.recorder.readClip(before.clipId, 0, sent))).toBe(true);
    expect((await h.gw.app.store.tempTransfers()).find((t) => t.key.endsWith(after.clipId))).toBeUndefined();
  });

  it.concurrent('§3.9.3: a partial copy of an unchanged clip is resumed after GET_CLIP confirms it', async () => {
    await register('CONF-SAME');
    const { pair, slot } = await plug('dockS');
    const size = 400_000;
    const { recorder } = await recorderWithClips({ serial: 'CONF-SAME', clipBytes: [size] });
    const clip = { ...recorder.clips()[0]! };
    const d1 = await seat(recorder, pair, { faults: { stallAfterDataBytes: size / 2 } });
    await waitFor(() => d1.stats.dataBytes >= size / 2, 'half the clip sent');
    const sent = d1.stats.dataBytes;
    await waitFor(
      async () =>
        (await h.gw.app.store.tempTransfers()).find((t) => t.key.endsWith(clip.clipId))?.bytes === sent,
      'partial persisted',
    );
    await pair.unplug();
    await d1.stop();
    const again = await plug('dockS');
    let getClips = 0;
    const reads: number[] = [];
    const d2 = await seat(recorder, again.pair);
    d2.on('get-clip', () => getClips++);
    d2.on('read', (r) => reads.push(r.offset));
    const done = await apiState(slot, 'ready');
    expect(done.clips[0]?.result).toBe('verified');
    expect(getClips).toBeGreaterThanOrEqual(1);
    expect(Math.min(...reads)).toBe(sent);
    const types = (await h.gw.app.store.audit.bySubject(`clip:${clip.clipId}`)).map((e) => e.type);
    expect(types).toEqual(['ingest', 'release']);
  });

  it('§3.5: no common version: ERROR BAD_VERSION, the slot stays refused and the API says why', async () => {
    await register('CONF-V9');
    const { pair, slot } = await plug();
    const { recorder } = await recorderWithClips({ serial: 'CONF-V9', clipBytes: [3_000] });
    const device = await seat(recorder, pair, { versions: [9] });
    const refused = new Promise<{ code: number; message: string }>((r) => device.once('refused', r));
    const s = await apiState(slot, 'refused');
    expect(s.serial).toBe('CONF-V9');
    expect(s.version).toBeNull();
    expect(s.reason).toContain('speaks dock versions 9');
    expect(s.reason).toContain(`this gateway speaks ${DOCK_VERSIONS.join(',')}`);
    const err = await refused;
    expect(err.code).toBe(DockErrorCode.BAD_VERSION);
    // The recorder shows a fault and slows its HELLO to every 30 s; nothing is read.
    expect(device.helloRetryMs).toBe(30_000);
    expect(device.fault).toMatch(/BAD_VERSION/);
    expect(device.stats.reads).toBe(0);
    expect(recorder.clips()).toHaveLength(1);
    // Besides its registration (recorder-admin), one refusal.
    const audit = await h.gw.app.store.audit.bySubject('recorder:CONF-V9');
    expect(audit.map((e) => e.type)).toEqual(['recorder-admin', 'recorder-refused']);
    // It stays refused: a repeated HELLO does not start a session.
    expect(h.gw.app.docks.slot(slot)?.state).toBe('refused');
  });
});
