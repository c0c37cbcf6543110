/**
 * PROTOCOL.md 1.1: every rule the 1.1 text added or settled, checked against the gateway and the
 * simulated recorder over the in-memory binding (one test per rule, named by section).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { RecorderDock, type RecorderDockOptions } from '../../device-sim/recorder/dock-link.js';
import { DockConfig } from '../../gateway/config.js';
import { openDb } from '../../gateway/db.js';
import type { DockClient } from '../../gateway/dock/client.js';
import { DockClient as Client } from '../../gateway/dock/client.js';
import { TimeSync } from '../../gateway/dock/time-sync.js';
import { createLogger } from '../../gateway/log.js';
import {
  bodyCodecs,
  cobsEncode,
  crc32c,
  DockErrorCode,
  type DockFrame,
  DockParser,
  DockTiming,
  DockType,
  encodeFrame,
  type ParseEvent,
} from '../../protocol/dock/index.js';
import type { DockPort } from '../../protocol/dock/link/binding.js';
import { FrameLink } from '../../protocol/dock/link/frame-link.js';
import { MemoryBinding } from '../../protocol/dock/link/memory-binding.js';
import { waitFor } from '../helpers/wait.js';
import { type DockFixture, dockFixture } from './fixture.js';

const log = createLogger({ level: 'silent' });
let fx: DockFixture | undefined;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  await fx?.close();
  fx = undefined;
  for (const c of cleanups.splice(0)) await c();
});

/** Wire bytes of a frame with any header (also ones encodeFrame refuses to make). */
function rawWire(version: number, type: number, seq: number, body: Uint8Array | string): Uint8Array {
  const b = typeof body === 'string' ? Buffer.from(body) : body;
  const f = Buffer.alloc(4 + b.length + 4);
  f[0] = version;
  f[1] = type;
  f.writeUInt16LE(seq, 2);
  Buffer.from(b).copy(f, 4);
  f.writeUInt32LE(crc32c(f.subarray(0, 4 + b.length)), 4 + b.length);
  return Buffer.concat([Buffer.of(0), cobsEncode(f), Buffer.of(0)]);
}

/** The far end of a port: everything it receives, parsed. */
function listen(port: DockPort): { events: ParseEvent[]; frames(): DockFrame[] } {
  const parser = new DockParser();
  const events: ParseEvent[] = [];
  port.onData((c) => events.push(...parser.feed(c)));
  return { events, frames: () => events.flatMap((e) => (e.ok ? [e.frame] : [])) };
}

/** A simulated recorder on one end of a memory pair; the test plays the gateway on the other. */
async function recorderOnWire(clipBytes: number[], opts: Partial<RecorderDockOptions> = {}) {
  const binding = new MemoryBinding();
  const device = binding.pair('spec');
  const gw = await binding.open('spec');
  const { recorder } = await recorderWithClips({ serial: 'SPEC1', clipBytes });
  const dock = new RecorderDock({ recorder, port: device, helloRetryMs: 100, ...opts });
  const rx = listen(gw);
  dock.start();
  cleanups.push(() => dock.stop());
  await waitFor(() => rx.frames().some((f) => f.type === 'HELLO'), 'HELLO');
  const hello = rx.frames().findLast((f) => f.type === 'HELLO')!;
  await gw.write(
    encodeFrame({
      type: 'HELLO_ACK',
      seq: hello.seq,
      body: { version: 1, gatewayId: 'gw', gatewayTime: Date.now() },
    }),
  );
  await waitFor(() => dock.isReady, 'recorder LINKED');
  let seq = 1000;
  /** Sends a request and waits for the response echoing its seq. */
  const ask = async (wire: (seq: number) => Uint8Array): Promise<ParseEvent> => {
    const s = ++seq;
    await gw.write(wire(s));
    await waitFor(
      () => rx.events.some((e) => (e.ok ? e.frame.seq === s : e.error.seq === s)),
      `answer to ${s}`,
    );
    return rx.events.find((e) => (e.ok ? e.frame.seq === s : e.error.seq === s))!;
  };
  return { recorder, dock, gw, rx, ask };
}

const errCode = (e: ParseEvent) => (e.ok && e.frame.type === 'ERROR' ? e.frame.body.code : undefined);

describe('PROTOCOL.md 1.1', () => {
  it('§3.5: a HELLO with header version 2 is a request: the gateway answers ERROR BAD_VERSION echoing its seq', async () => {
    fx = await dockFixture();
    const port = fx.binding.pair('mem-hello-v2');
    const rx = listen(port);
    fx.docks.addPort('mem-hello-v2');
    const hello = {
      model: 'BC-7',
      serial: 'RBV2',
      firmware: '2',
      versions: [2],
      deviceTime: Date.now(),
      maxRead: 4096,
      window: 4,
    };
    // The port opens asynchronously: repeat until answered, as a recorder would.
    let seq = 40;
    await waitFor(async () => {
      await port.write(rawWire(2, DockType.HELLO, ++seq, JSON.stringify(hello)));
      return rx.frames().some((f) => f.type === 'ERROR');
    }, 'ERROR for the HELLO');
    const err = rx.frames().find((f) => f.type === 'ERROR')!;
    expect(err.type === 'ERROR' && err.body.code).toBe(DockErrorCode.BAD_VERSION);
    expect(err.seq).toBeGreaterThan(40);
    expect(err.version).toBe(1);
    // A response (type >= 0x80) that cannot be decoded, or an unknown response type, is never answered.
    const before = rx.frames().length;
    await port.write(rawWire(1, DockType.STATUS, 77, '{"state":'));
    await port.write(rawWire(1, 0xc2, 78, '{}'));
    await port.write(rawWire(1, 0x42, 79, '{}'));
    await waitFor(() => rx.frames().some((f) => f.seq === 79), 'answer to the unknown request type');
    const later = rx
      .frames()
      .slice(before)
      .filter((f) => f.seq >= 77);
    expect(later.map((f) => [f.seq, f.type === 'ERROR' && f.body.code])).toEqual([
      [79, DockErrorCode.UNKNOWN_TYPE],
    ]);
  });

  it('§3.5, §3.11: the recorder answers a request with the code of what was wrong, and never a response', async () => {
    const { gw, rx, ask } = await recorderOnWire([1000]);
    expect(errCode(await ask((s) => rawWire(2, DockType.GET_STATUS, s, '{}')))).toBe(
      DockErrorCode.BAD_VERSION,
    );
    expect(errCode(await ask((s) => rawWire(1, 0x42, s, '{}')))).toBe(DockErrorCode.UNKNOWN_TYPE);
    // Both wrong: the version is checked first.
    expect(errCode(await ask((s) => rawWire(9, 0x42, s, '{}')))).toBe(DockErrorCode.BAD_VERSION);
    expect(errCode(await ask((s) => rawWire(1, DockType.LIST_CLIPS, s, '{}')))).toBe(DockErrorCode.BAD_BODY);
    // Responses and ERRORs with problems get nothing; a request afterwards still gets its answer.
    await gw.write(rawWire(1, DockType.STATUS, 5001, 'nope'));
    await gw.write(rawWire(1, 0xc2, 5002, '{}'));
    await gw.write(rawWire(1, DockType.ERROR, 5003, Uint8Array.of(1)));
    const status = await ask((s) => encodeFrame({ type: 'GET_STATUS', seq: s, body: {} }));
    expect(status.ok && status.frame.type).toBe('STATUS');
    const seqOf = (e: ParseEvent) => (e.ok ? e.frame.seq : e.error.seq);
    expect(rx.events.filter((e) => [5001, 5002, 5003].includes(seqOf(e) ?? -1))).toEqual([]);
  });

  it('§3.7: limit is required and every integer has its stated range', () => {
    const dec = (type: keyof typeof bodyCodecs, o: unknown) =>
      bodyCodecs[type].decode(Buffer.from(JSON.stringify(o))).ok;
    expect(dec('LIST_CLIPS', {})).toBe(false);
    expect(dec('LIST_CLIPS', { limit: 64 })).toBe(true);
    expect(dec('LIST_CLIPS', { limit: 65 })).toBe(false);
    const status = {
      state: 'docked',
      battery: { pct: 64.5, charging: true, voltageMv: 30_000 },
      storage: { totalBytes: 2 ** 53 - 1, freeBytes: 0 },
      officer: null,
      deviceTime: 1,
      pendingClips: 2 ** 53 - 1,
    };
    expect(dec('STATUS', status)).toBe(true);
    expect(dec('STATUS', { ...status, battery: { ...status.battery, voltageMv: 30_001 } })).toBe(false);
    expect(dec('STATUS', { ...status, pendingClips: 2 ** 53 })).toBe(false);
    expect(dec('STATUS', { ...status, pendingClips: -1 })).toBe(false);
    expect(dec('STATUS', { ...status, pendingClips: 1.5 })).toBe(false);
    expect(dec('STATUS', { ...status, storage: { totalBytes: -1, freeBytes: 0 } })).toBe(false);
    expect(dec('TIME_SYNC', { t0: 1, adjustMs: 316_224_000_000 })).toBe(true);
    expect(dec('TIME_SYNC', { t0: 1, adjustMs: -316_224_000_000 })).toBe(true);
    expect(dec('TIME_SYNC', { t0: 1, adjustMs: 316_224_000_001 })).toBe(false);
    expect(DockTiming.MAX_ADJUST_MS).toBe(316_224_000_000);
  });

  it('§3.6.1: a READ above maxRead but within 61 440 is OUT_OF_RANGE; above 61 440 is BAD_BODY', async () => {
    const { recorder, ask } = await recorderOnWire([5000], { maxRead: 1024 });
    const clipId = recorder.clips()[0]!.clipId;
    const read = (length: number) => (s: number) =>
      encodeFrame({ type: 'READ', seq: s, body: { clipId, offset: 0, length } });
    const ok = await ask(read(1024));
    expect(ok.ok && ok.frame.type === 'DATA' && ok.frame.body.chunk.length).toBe(1024);
    expect(errCode(await ask(read(1025)))).toBe(DockErrorCode.OUT_OF_RANGE);
    expect(errCode(await ask(read(61_440)))).toBe(DockErrorCode.OUT_OF_RANGE);
    const big = Buffer.alloc(76);
    big.write(clipId, 'ascii');
    big.writeUInt32LE(61_441, 72);
    expect(errCode(await ask((s) => rawWire(1, DockType.READ, s, big)))).toBe(DockErrorCode.BAD_BODY);
  });

  it('§3.7: a LIST cursor survives RELEASEs between pages (no repeat, no skip, released ones omitted)', async () => {
    const { recorder, ask } = await recorderOnWire([100, 101, 102, 103, 104]);
    const all = recorder.clips().map((c) => ({ ...c }));
    const list = async (cursor?: string) => {
      const e = await ask((s) =>
        encodeFrame({ type: 'LIST_CLIPS', seq: s, body: { limit: 2, ...(cursor ? { cursor } : {}) } }),
      );
      if (!e.ok || e.frame.type !== 'CLIP_LIST') throw new Error('no CLIP_LIST');
      return e.frame.body;
    };
    const release = async (i: number) => {
      const e = await ask((s) =>
        encodeFrame({ type: 'RELEASE', seq: s, body: { clipId: all[i]!.clipId, sha256: all[i]!.sha256 } }),
      );
      expect(e.ok && e.frame.type === 'RELEASE_ACK' && e.frame.body.result).toBe('released');
    };
    const p1 = await list();
    expect(p1.clips.map((c) => c.clipId)).toEqual([all[0]!.clipId, all[1]!.clipId]);
    await release(0);
    await release(2);
    const p2 = await list(p1.next!);
    expect(p2.clips.map((c) => c.clipId)).toEqual([all[3]!.clipId, all[4]!.clipId]);
    expect(p2.next).toBeNull();
  });

  it('§3.8: a frame with a good CRC the recorder cannot serve still counts as link activity; garbage does not', async () => {
    const { dock, gw } = await recorderOnWire([], { linkTimeoutMs: 400 });
    const hellos = dock.stats.helloSent;
    // 2.5 s of nothing but frames with a bad version (answered ERROR): the link stays up.
    for (let i = 0; i < 12; i++) {
      await gw.write(rawWire(2, DockType.GET_STATUS, 3000 + i, '{}'));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(dock.isReady).toBe(true);
    expect(dock.stats.helloSent).toBe(hellos);
    // Garbage and a bad CRC are not the gateway speaking: back to HELLO.
    const keep = setInterval(
      () => void gw.write(Buffer.from('AT+CGMI\r\n\x00\x05\x01\x02\x03\x04\x00')).catch(() => {}),
      150,
    );
    cleanups.push(() => clearInterval(keep));
    await waitFor(() => dock.stats.helloSent > hellos, 'HELLO after the link timeout');
  });

  it('§3.8: a retransmitted TIME_SYNC keeps its t0 under a new seq', async () => {
    const binding = new MemoryBinding();
    const device = binding.pair('ts');
    const port = await binding.open('ts');
    const client = new Client({
      link: new FrameLink(port),
      log,
      timeoutMs: 150,
      onHello: () => {},
      onDown: () => {},
    });
    cleanups.push(() => client.close());
    const rx = listen(device);
    const answered = client.request('TIME_SYNC', { t0: 1_767_256_500_010 });
    await waitFor(() => rx.frames().filter((f) => f.type === 'TIME_SYNC').length >= 2, 'retransmission');
    const [a, b] = rx.frames().filter((f) => f.type === 'TIME_SYNC') as Extract<
      DockFrame,
      { type: 'TIME_SYNC' }
    >[];
    expect(b!.seq).not.toBe(a!.seq);
    expect(b!.body.t0).toBe(a!.body.t0);
    await device.write(
      encodeFrame({
        type: 'TIME_SYNC_ACK',
        seq: b!.seq,
        body: { t0: b!.body.t0, deviceTime: 5, adjusted: false },
      }),
    );
    expect((await answered).t0).toBe(1_767_256_500_010);
  });

  it('§3.9.2: when every sample takes over 200 ms the offset is recorded and the clock is not set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'spec-ts-'));
    const db = await openDb(join(dir, 'db'));
    cleanups.push(async () => {
      await db.close();
      await rm(dir, { recursive: true, force: true });
    });
    const run = async (rttMs: number) => {
      let now = 1_767_256_500_000;
      const sent: { adjustMs?: number }[] = [];
      const client = {
        request: async (_type: string, body: { t0: number; adjustMs?: number }) => {
          sent.push(body);
          now += rttMs;
          return { t0: body.t0, deviceTime: now - rttMs / 2 + 10_000, adjusted: body.adjustMs !== undefined };
        },
      } as unknown as DockClient;
      const sync = new TimeSync({ db, now: () => now });
      const sample = await sync.sync(client, `RB-${rttMs}`, 'test');
      return { sent, sample };
    };
    const slow = await run(300);
    expect(slow.sent).toHaveLength(6);
    expect(slow.sent.every((b) => b.adjustMs === undefined)).toBe(true);
    expect(slow.sample.offsetMs).toBe(10_000);
    expect(slow.sample.rttMs).toBe(300);
    expect(slow.sample.adjustMs).toBe(0);
    // Control: fast samples, the same offset is corrected.
    const fast = await run(20);
    expect(fast.sent.some((b) => b.adjustMs === -10_000)).toBe(true);
  });

  it('§3.8, §3.9.3: the gateway defaults are the spec table (READ 61 440, window 32, 3 fetches before quarantine)', async () => {
    const c = DockConfig.parse({});
    expect([c.chunkBytes, c.readWindow, c.maxHashRetries]).toEqual([61_440, 32, 3]);
    expect([DockTiming.READ_BYTES, DockTiming.WINDOW, DockTiming.MAX_HASH_FETCHES]).toEqual([61_440, 32, 3]);
    // Two lies then the truth: verified on the third fetch with the default (not quarantined on the second).
    fx = await dockFixture({ config: { maxHashRetries: undefined, chunkBytes: 4096 } });
    fx.known.add('RB-H3');
    const { recorder, path } = await fx.dock(
      { serial: 'RB-H3', clipBytes: [9_000] },
      { faults: { lieAboutHash: { times: 2 } } },
    );
    const info = await fx.docks.slot(path)!.waitFor('ready');
    expect(info.clips[0]?.result).toBe('verified');
    expect(recorder.clips()).toHaveLength(0);
  });

  it('§3.9 step 5: READs of the next clip may come before the previous clip is RELEASEd; all verify', async () => {
    fx = await dockFixture();
    fx.known.add('RB-PIPE');
    const { device, path } = await fx.dock({ serial: 'RB-PIPE', clipBytes: [40_000, 40_000, 40_000] });
    const order: string[] = [];
    device.on('read', (r) => order.push(`read ${r.clipId}`));
    device.on('released', (clipId) => order.push(`release ${clipId}`));
    const info = await fx.docks.slot(path)!.waitFor('ready');
    expect(info.clips.map((c) => c.result)).toEqual(['verified', 'verified', 'verified']);
    const firstRelease = order.findIndex((o) => o.startsWith('release'));
    const released = order[firstRelease]!.slice('release '.length);
    expect(order.slice(0, firstRelease).some((o) => o.startsWith('read') && !o.endsWith(released))).toBe(
      true,
    );
  });

  it('§3.8: a gateway slower than HELLO_RETRY_MS still converges (it echoes the newest HELLO)', async () => {
    const known = new Set(['RB-SLOW']);
    fx = await dockFixture({
      service: {
        registry: {
          isKnown: async (s: string) => {
            await new Promise((r) => setTimeout(r, 250));
            return known.has(s);
          },
        },
      },
    });
    const { device, path } = await fx.dock({ serial: 'RB-SLOW', clipBytes: [3_000] });
    const info = await fx.docks.slot(path)!.waitFor('ready');
    expect(info.clips[0]?.result).toBe('verified');
    expect(device.stats.helloSent).toBeGreaterThan(1);
  });
});
