/**
 * The dock link engine and the verified ingest over the in-memory binding, with the real store on
 * a temp dir and the real recorder model on the other end.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { DockErrorCode } from '../../protocol/dock/index.js';
import { type DockFixture, dockFixture, officer } from './fixture.js';

let fx: DockFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

describe('dock link', () => {
  it('accepts a known recorder: syncs its clock, uploads every clip earliest deadline first, verifies, then releases', async () => {
    fx = await dockFixture();
    fx.known.add('RB1');
    const sizes = [70_000, 5_000, 1, 0, 33_333];
    const stored: string[] = [];
    fx.bus.on('clip.stored', (e) => stored.push(e.clipId));
    const { recorder, device, path } = await fx.dock({
      serial: 'RB1',
      clipBytes: sizes,
      clockOffsetMs: 7_000,
    });
    const clips = recorder.clips().map((c) => ({ ...c }));
    expect(clips).toHaveLength(5);
    const releasedWhileVerified: Promise<boolean>[] = [];
    device.on('released', (clipId) => {
      releasedWhileVerified.push(fx!.store.index.get(clipId).then((r) => r?.state === 'verified'));
    });
    const slot = fx.docks.slot(path)!;
    const info = await slot.waitFor('ready');

    expect(info.serial).toBe('RB1');
    expect(fx.changes.filter((c) => c.slot === path).map((c) => c.state)).toEqual([
      'waiting',
      'syncing',
      'listing',
      'uploading',
      'ready',
    ]);
    // Clock: 7 s ahead, stepped back, the residual within tolerance; kept in the history.
    expect(info.clock!.offsetMs).toBeGreaterThan(6_000);
    expect(info.clock!.adjustMs).toBeLessThan(-6_000);
    expect(Math.abs(info.clock!.residualMs)).toBeLessThan(500);
    expect(Math.abs(recorder.deviceNow() - Date.now())).toBeLessThan(500);
    expect(await fx.docks.clockHistory('RB1')).toHaveLength(1);

    // Earliest deadline (end + 24 h) first: the recorder's clips are in recording order.
    const byEnd = [...clips].sort((a, b) => a.end - b.end).map((c) => c.clipId);
    expect(stored).toEqual(byEnd);
    expect(info.clips.map((c) => c.result)).toEqual(Array(5).fill('verified'));
    for (const c of clips) {
      const rec = await fx.store.index.get(c.clipId);
      expect(rec?.state).toBe('verified');
      expect(rec?.sha256).toBe(c.sha256);
      expect(rec?.officer).toBeUndefined();
      expect(rec?.source).toEqual({ kind: 'recorder', id: 'RB1' });
      const blob = await readFile(fx.store.layout.abs(rec!.blob!));
      expect(createHash('sha256').update(blob).digest('hex')).toBe(c.sha256);
    }
    // Released only after verification: recorder empty, and each release came after its ingest entry.
    expect(recorder.clips()).toHaveLength(0);
    expect(await Promise.all(releasedWhileVerified)).toEqual(Array(5).fill(true));
    for (const c of clips) {
      const entries = await fx.store.audit.bySubject(`clip:${c.clipId}`);
      expect(entries.map((e) => e.type)).toEqual(['ingest', 'release']);
    }
    const syncs = await fx.store.audit.bySubject('recorder:RB1');
    expect(syncs.map((e) => e.type)).toEqual(['time-sync']);
  });

  it('refuses an unknown recorder with a clear reason and reads nothing', async () => {
    fx = await dockFixture();
    const { recorder, device, path } = await fx.dock({ serial: 'RB404', clipBytes: [10_000] });
    const refused = new Promise<{ code: number; message: string }>((r) => device.once('refused', r));
    const slot = fx.docks.slot(path)!;
    const info = await slot.waitFor('refused');
    expect(info.serial).toBe('RB404');
    expect(info.reason).toMatch(/RB404 is not registered/);
    // PROTOCOL.md §3.9 step 1, §3.10: the refusal has its own code, and the recorder shows it.
    const err = await refused;
    expect(err.code).toBe(DockErrorCode.NOT_REGISTERED);
    expect(err.message).toMatch(/not registered/);
    expect(device.fault).toMatch(/^NOT_REGISTERED: /);
    expect(device.stats.reads).toBe(0);
    expect(recorder.clips()).toHaveLength(1);
    expect(fx.docks.list().find((s) => s.slot === path)?.state).toBe('refused');
    const audit = await fx.store.audit.bySubject('recorder:RB404');
    expect(audit.map((e) => e.type)).toEqual(['recorder-refused']);
    // PAIR is refused too: the recorder was never accepted.
    await expect(slot.pair(officer)).rejects.toMatchObject({ code: 'NOT_DOCKED' });
  });

  it('re-reads DATA chunks that fail their check, and retransmits frames lost on the wire', async () => {
    // A short response timeout: the frame lost on the wire is asked for again quickly.
    fx = await dockFixture({ service: { timeoutMs: 300 } });
    fx.known.add('RB2');
    const { recorder, device, path } = await fx.dock(
      { serial: 'RB2', clipBytes: [60_000] },
      { faults: { flipDataBits: 3, corruptWireFrames: 1 } },
    );
    const clip = { ...recorder.clips()[0]! };
    await fx.docks.slot(path)!.waitFor('ready');
    expect(device.faults.flipDataBits).toBe(0);
    expect(device.faults.corruptWireFrames).toBe(0);
    // 15 chunks of 4 KiB, 3 re-read after a bad check, 1 resent after its frame was lost.
    expect(device.stats.reads).toBeGreaterThanOrEqual(15 + 3 + 1);
    const rec = await fx.store.index.get(clip.clipId);
    expect(rec?.state).toBe('verified');
    expect(rec?.sha256).toBe(clip.sha256);
    expect(recorder.clips()).toHaveLength(0);
  });

  it('quarantines a clip whose recorder keeps lying about its hash: kept, not released, alert', async () => {
    fx = await dockFixture({ config: { maxHashRetries: 3 } });
    fx.known.add('RB3');
    const { recorder, path } = await fx.dock(
      { serial: 'RB3', clipBytes: [20_000, 8_000], officer },
      { faults: { lieAboutHash: { times: 'always' } } },
    );
    const clips = recorder.clips().map((c) => ({ ...c }));
    const info = await fx.docks.slot(path)!.waitFor('ready');
    expect(info.clips.map((c) => c.result)).toEqual(['quarantined', 'quarantined']);
    expect(recorder.clips()).toHaveLength(2);
    for (const c of clips) {
      const rec = await fx.store.index.get(c.clipId);
      expect(rec?.state).toBe('quarantined');
      // The held bytes are the real ones (their hash is the recorder's true one); nothing released.
      expect(rec?.quarantine?.held[0]?.sha256).toBe(c.sha256);
      const types = (await fx.store.audit.bySubject(`clip:${c.clipId}`)).map((e) => e.type);
      expect(types).toEqual(['quarantine']);
      const alert = fx.alerts.activeFor('clip-quarantined', `clip:${c.clipId}`);
      expect(alert?.severity).toBe('critical');
      expect(alert?.message).toContain('RB3');
      expect(alert?.message).toContain(officer.certNo);
    }
  });

  it('fetches again after a hash mismatch and verifies when the claim comes right', async () => {
    fx = await dockFixture({ config: { maxHashRetries: 3 } });
    fx.known.add('RB4');
    const { recorder, device, path } = await fx.dock(
      { serial: 'RB4', clipBytes: [12_000] },
      { faults: { lieAboutHash: { times: 2 } } },
    );
    const clip = { ...recorder.clips()[0]! };
    const info = await fx.docks.slot(path)!.waitFor('ready');
    expect(info.clips[0]?.result).toBe('verified');
    expect((await fx.store.index.get(clip.clipId))?.state).toBe('verified');
    // Fetched three times in full (two lies, then the truth); a retransmission can only add.
    expect(device.stats.dataBytes).toBeGreaterThanOrEqual(3 * 12_000);
    expect(recorder.clips()).toHaveLength(0);
  });

  it('fetches a mismatched clip again after the others, while the others are committed in order', async () => {
    fx = await dockFixture({ config: { maxHashRetries: 2 } });
    fx.known.add('RB8');
    const { recorder, device, path } = await fx.dock({ serial: 'RB8', clipBytes: [30_000, 20_000, 10_000] });
    const clips = recorder
      .clips()
      .map((c) => ({ ...c }))
      .sort((a, b) => a.start - b.start);
    // The first clip's claim is wrong once (its listing): that fetch fails verification.
    device.faults.lieAboutHash = { times: 1, clipId: clips[0]!.clipId };
    const stored: string[] = [];
    fx.bus.on('clip.stored', (e) => stored.push(e.clipId));
    const info = await fx.docks.slot(path)!.waitFor('ready');
    expect(info.clips.map((c) => c.result)).toEqual(['verified', 'verified', 'verified']);
    expect(stored).toEqual([clips[1]!.clipId, clips[2]!.clipId, clips[0]!.clipId]);
    // Fetched twice in full, the others once.
    expect(device.stats.dataBytes).toBeGreaterThanOrEqual(2 * 30_000 + 20_000 + 10_000);
    expect(recorder.clips()).toHaveLength(0);
    for (const c of clips) expect((await fx.store.index.get(c.clipId))?.sha256).toBe(c.sha256);
  });

  it('resumes at the byte offset after the recorder resets mid-transfer', async () => {
    fx = await dockFixture();
    fx.known.add('RB5');
    const { recorder, device, path } = await fx.dock(
      { serial: 'RB5', clipBytes: [200_000] },
      { faults: { resetAfterDataBytes: 100_000 } },
    );
    const clip = { ...recorder.clips()[0]! };
    const reads: number[] = [];
    let resetSeen = false;
    device.on('reset', () => {
      resetSeen = true;
    });
    device.on('read', (r) => {
      if (resetSeen) reads.push(r.offset);
    });
    const info = await fx.docks.slot(path)!.waitFor('ready');
    expect(device.stats.resets).toBe(1);
    expect(info.clips[0]?.result).toBe('verified');
    // The second session started where the first left off (a multiple of the 4 KiB chunk), not at 0.
    expect(reads[0]).toBeGreaterThan(0);
    expect(reads[0]! % 4096).toBe(0);
    expect(Math.min(...reads)).toBe(reads[0]);
    expect((await fx.store.index.get(clip.clipId))?.sha256).toBe(clip.sha256);
    expect(recorder.clips()).toHaveLength(0);
  });

  it('pauses at the disk reserve with an alarm, drops nothing, and resumes when space is freed', async () => {
    fx = await dockFixture({ config: { reserveBytes: 1_000_000 } });
    fx.known.add('RB6');
    let free = 1_100_000;
    fx.docks.disk.setFreeBytesSource(async () => free);
    const { recorder, device, path } = await fx.dock({ serial: 'RB6', clipBytes: [60_000, 150_000] });
    const clips = recorder
      .clips()
      .map((c) => ({ ...c }))
      .sort((a, b) => a.start - b.start);
    const slot = fx.docks.slot(path)!;
    // The first clip fits above the reserve, the second does not.
    let info = await slot.waitFor('paused');
    expect(info.reason).toMatch(/disk reserve reached/);
    expect(info.disk).toMatchObject({ ok: false, freeBytes: 1_100_000, reserveBytes: 1_000_000 });
    const alert = fx.alerts.activeFor('disk-reserve', 'gateway-store');
    expect(alert?.severity).toBe('critical');
    expect(fx.docks.disk.paused).toEqual([`dock:${path}`]);
    // The first clip is committed and released while the second waits for room.
    while ((await fx.store.index.get(clips[0]!.clipId))?.state !== 'verified')
      await new Promise((r) => setTimeout(r, 10));
    const readSoFar = device.stats.dataBytes;
    // Paused: the link stays up (keepalive), nothing more is read, nothing is dropped.
    await new Promise((r) => setTimeout(r, 200));
    expect(device.stats.dataBytes).toBe(readSoFar);
    expect(recorder.clips().map((c) => c.clipId)).toEqual([clips[1]!.clipId]);
    expect((await fx.store.index.get(clips[1]!.clipId))?.state).toBe('on-recorder');

    free = 10e9;
    info = await slot.waitFor('ready');
    expect(info.clips.map((c) => c.result)).toEqual(['verified', 'verified']);
    expect((await fx.store.index.get(clips[1]!.clipId))?.sha256).toBe(clips[1]!.sha256);
    expect(fx.alerts.activeFor('disk-reserve', 'gateway-store')).toBeUndefined();
    expect(recorder.clips()).toHaveLength(0);
  });

  it('asks again after ERROR BUSY without counting it as a retry', async () => {
    fx = await dockFixture({ config: { maxHashRetries: 2 } });
    fx.known.add('RB9');
    const { recorder, device, path } = await fx.dock(
      { serial: 'RB9', clipBytes: [20_000] },
      { faults: { busyReplies: 3 } },
    );
    const info = await fx.docks.slot(path)!.waitFor('ready');
    expect(device.faults.busyReplies).toBe(0);
    expect(info.clips[0]?.result).toBe('verified');
    expect(recorder.clips()).toHaveLength(0);
  });

  it('keeps going when the recorder loses a listed clip: partial kept, alert, next clip uploaded', async () => {
    fx = await dockFixture();
    fx.known.add('RB10');
    const { recorder, device, path } = await fx.dock({ serial: 'RB10', clipBytes: [80_000, 10_000] });
    const [lost, kept] = recorder
      .clips()
      .map((c) => ({ ...c }))
      .sort((a, b) => a.start - b.start);
    // The recorder's flash loses the first clip once its transfer has started.
    device.once('data', () => void recorder.releaseClip(lost!.clipId));
    const info = await fx.docks.slot(path)!.waitFor('ready');
    expect(info.clips.map((c) => c.result)).toEqual(['missing', 'verified']);
    expect((await fx.store.index.get(kept!.clipId))?.state).toBe('verified');
    expect((await fx.store.index.get(lost!.clipId))?.state).not.toBe('verified');
    const alert = fx.alerts.activeFor('clip-lost-on-recorder', `clip:${lost!.clipId}`);
    expect(alert?.message).toContain('RB10');
    // What arrived before the loss is kept for the record.
    const partial = (await fx.store.tempTransfers()).find((t) => t.key.endsWith(lost!.clipId));
    expect(partial?.bytes).toBeGreaterThan(0);
  });

  it('pairs and unpairs the docked recorder over the link', async () => {
    fx = await dockFixture();
    fx.known.add('RB7');
    const { recorder, path } = await fx.dock({ serial: 'RB7', clipBytes: [] });
    await fx.docks.slot(path)!.waitFor('ready');
    const paired = await fx.docks.pair('RB7', officer);
    expect(paired.officer).toEqual(officer);
    expect(recorder.officer).toEqual(officer);
    expect(paired.state).toBe('docked');
    expect(paired.battery.charging).toBe(false);
    const status = await fx.docks.status('RB7');
    expect(status.storage.totalBytes).toBeGreaterThan(0);
    const unpaired = await fx.docks.unpair('RB7');
    expect(unpaired.officer).toBeNull();
    expect(recorder.officer).toBeNull();
    await expect(fx.docks.pair('RB-NONE', officer)).rejects.toMatchObject({ code: 'NOT_DOCKED' });
  });
});
