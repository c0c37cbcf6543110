/**
 * The dock conformance kit: acts as the gateway against one recorder on a serial port and runs
 * each normative rule of PROTOCOL.md §3 as a named check. A check passes or fails with the frames
 * that proved it; later checks that need what an earlier one failed to learn fail with that reason.
 */
import { createHash } from 'node:crypto';
import {
  type ClipInfo,
  cobsEncode,
  crc32c,
  DOCK_VERSIONS,
  DockErrorCode,
  type DockFrame,
  DockType,
  dockErrorName,
  type Hello,
  MAX_CHUNK_BYTES,
  type Status,
} from '../../protocol/dock/index.js';
import type { DockPort } from '../../protocol/dock/link/binding.js';
import { type CheckResult, must, outcome } from '../check.js';
import { KitWire } from './wire.js';

export type { CheckResult } from '../check.js';

export interface KitOptions {
  /** Opens (or reopens) the recorder's port. */
  open(): Promise<DockPort>;
  /** After the kit closed the port for the cut-link check; a real setup asks a person to replug. */
  onCut?(): Promise<void>;
  /** Progress lines (prompts for a person). */
  say?(line: string): void;
  /** Let the kit RELEASE one clip (the recorder deletes it). Default false. */
  release?: boolean;
  /** Largest clip read whole for the SHA-256 check (default 16 MiB). */
  maxClipBytes?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A frame with any header and body and a good (or deliberately bad) CRC. */
function rawWire(version: number, type: number, seq: number, body: Uint8Array, badCrc = false): Uint8Array {
  const f = Buffer.alloc(8 + body.length);
  f[0] = version;
  f[1] = type;
  f.writeUInt16LE(seq, 2);
  f.set(body, 4);
  f.writeUInt32LE(
    (crc32c(f.subarray(0, 4 + body.length)) ^ (badCrc ? 0x00010000 : 0)) >>> 0,
    4 + body.length,
  );
  return Buffer.concat([Buffer.of(0), cobsEncode(f), Buffer.of(0)]);
}

const errorOf = (f: DockFrame | undefined) => (f?.type === 'ERROR' ? f.body.code : undefined);
const codeName = (c: number | undefined) =>
  c === undefined ? 'no ERROR' : (dockErrorName(c) ?? `0x${c.toString(16)}`);

export async function runDockConformance(o: KitOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let wire = new KitWire(await o.open());
  const say = o.say ?? (() => {});

  async function check(section: string, name: string, fn: () => Promise<unknown>): Promise<boolean> {
    wire.takeTranscript();
    const { ok, detail } = await outcome(fn);
    results.push({ section, name, ok, detail, frames: wire.takeTranscript() });
    say(`${ok ? 'PASS' : 'FAIL'} §${section} ${name}${ok ? '' : `: ${detail}`}`);
    return ok;
  }

  let hello: Hello | undefined;
  let helloSeq = -1;
  let status: Status | undefined;
  let version = 1;
  const clips: ClipInfo[] = [];
  let clipBytes: Buffer | undefined;

  const nextHello = async (ms: number) => {
    const r = await wire.next((x) => x.ok && x.frame.type === 'HELLO', ms);
    return r?.ok && r.frame.type === 'HELLO' ? r.frame : undefined;
  };
  /** The newest HELLO received so far (or the next one), acknowledged. */
  const link = async (ms: number) => {
    let h = await nextHello(ms);
    must(h, `no HELLO within ${ms} ms`);
    for (const r of await wire.collect(0)) if (r.ok && r.frame.type === 'HELLO') h = r.frame;
    const common = h.body.versions.filter((v) => DOCK_VERSIONS.includes(v));
    must(
      common.length > 0,
      `HELLO offers versions ${h.body.versions.join(',')}; the kit speaks ${DOCK_VERSIONS.join(',')}`,
    );
    version = Math.max(...common);
    await wire.send({
      type: 'HELLO_ACK',
      seq: h.seq,
      body: { version, gatewayId: 'conformance-kit', gatewayTime: Date.now() },
    });
    const s = await wire.request({ type: 'GET_STATUS', version, body: {} });
    must(s?.type === 'STATUS', `after HELLO_ACK (seq ${h.seq}) GET_STATUS got ${s ? s.type : 'no answer'}`);
    hello = h.body;
    helloSeq = h.seq;
    status = s.body;
  };

  await wire.sendRaw(Uint8Array.of(0), '0x00 (port opened)');

  // ---- §3.9 handshake ----------------------------------------------------------------------------
  await check('3.9', 'HELLO: the recorder sends a valid HELLO after the port opens', async () => {
    const h = await nextHello(3000);
    must(
      h,
      'no valid HELLO within 3 s (a HELLO whose body fails the schema shows as dropped BAD_BODY above)',
    );
    must(h.version === 1, `HELLO sent with header version ${h.version}; HELLO is always version 1 (§3.5)`);
    hello = h.body;
    helloSeq = h.seq;
    return `${h.body.model} ${h.body.serial} firmware ${h.body.firmware}, versions ${h.body.versions.join(',')}, maxRead ${h.body.maxRead}, window ${h.body.window}`;
  });
  await check('3.8', 'HELLO_RETRY_MS: unanswered, HELLO is repeated within ~1 s with a new seq', async () => {
    must(hello, 'needs a HELLO');
    const t = Date.now();
    const h = await nextHello(2500);
    must(h, 'no second HELLO within 2.5 s');
    must(h.seq !== helloSeq, `the repeated HELLO kept seq ${h.seq}`);
    const prev = helloSeq;
    helloSeq = h.seq;
    return `seq ${prev} then ${h.seq} after ${Date.now() - t} ms`;
  });
  await check('3.9', 'a request before HELLO_ACK is answered ERROR NOT_READY echoing its seq', async () => {
    const a = await wire.request({ type: 'GET_STATUS', body: {} });
    must(errorOf(a) === DockErrorCode.NOT_READY, `got ${a ? a.type : 'no answer'} (${codeName(errorOf(a))})`);
  });
  await check('3.8', 'a HELLO_ACK echoing an older HELLO seq is ignored', async () => {
    must(hello, 'needs a HELLO');
    const h = await nextHello(2500);
    must(h, 'no HELLO');
    await wire.send({
      type: 'HELLO_ACK',
      seq: (h.seq - 7) & 0xffff,
      body: { version: 1, gatewayId: 'conformance-kit', gatewayTime: Date.now() },
    });
    await sleep(100);
    const a = await wire.request({ type: 'GET_STATUS', body: {} });
    must(
      errorOf(a) === DockErrorCode.NOT_READY,
      `after a stale HELLO_ACK, GET_STATUS got ${a ? a.type : 'no answer'}`,
    );
  });
  const linked = await check(
    '3.5',
    'HELLO_ACK with the highest common version links the recorder (GET_STATUS answered STATUS)',
    async () => {
      await link(2500);
      return `version ${version}; ${JSON.stringify(status)}`;
    },
  );

  // ---- §3.5, §3.11 receive errors ------------------------------------------------------------------
  const answeredWith = async (what: string, build: (seq: number) => Uint8Array, code: number) => {
    must(linked, 'needs a linked recorder');
    const seq = wire.nextSeq();
    await wire.sendRaw(build(seq), what);
    const a = await wire.answer(seq);
    must(
      errorOf(a) === code,
      `expected ERROR ${codeName(code)} echoing seq ${seq}, got ${a ? `${a.type} ${codeName(errorOf(a))}` : 'no answer'}`,
    );
  };
  await check('3.5', 'a request with an unaccepted header version is answered ERROR BAD_VERSION', () =>
    answeredWith(
      'GET_STATUS header version 0xEE',
      (s) => rawWire(0xee, DockType.GET_STATUS, s, Buffer.from('{}')),
      DockErrorCode.BAD_VERSION,
    ),
  );
  await check('3.11', 'an unknown request type is answered ERROR UNKNOWN_TYPE', () =>
    answeredWith(
      'type 0x42',
      (s) => rawWire(version, 0x42, s, Buffer.from('{}')),
      DockErrorCode.UNKNOWN_TYPE,
    ),
  );
  await check('3.5', 'a bad version and an unknown type: BAD_VERSION wins (checked first)', () =>
    answeredWith(
      'type 0x42 header version 0xEE',
      (s) => rawWire(0xee, 0x42, s, Buffer.from('{}')),
      DockErrorCode.BAD_VERSION,
    ),
  );
  await check(
    '3.7',
    'a body that fails its schema is answered ERROR BAD_BODY (LIST_CLIPS without limit)',
    () =>
      answeredWith(
        'LIST_CLIPS {}',
        (s) => rawWire(version, DockType.LIST_CLIPS, s, Buffer.from('{}')),
        DockErrorCode.BAD_BODY,
      ),
  );
  await check('3.11', 'responses, ERRORs and frames with a bad CRC are never answered', async () => {
    must(linked, 'needs a linked recorder');
    await wire.sendRaw(
      rawWire(version, DockType.STATUS, 0x1111, Buffer.from('{"state":')),
      'STATUS with a broken body',
    );
    await wire.sendRaw(rawWire(version, 0xc2, 0x1112, Buffer.from('{}')), 'unknown response type 0xC2');
    await wire.sendRaw(rawWire(1, DockType.ERROR, 0x1113, Uint8Array.of(3, 0)), 'ERROR BAD_BODY');
    await wire.sendRaw(
      rawWire(version, DockType.GET_STATUS, 0x1114, Buffer.from('{}'), true),
      'GET_STATUS with a bad CRC',
    );
    const got = (await wire.collect(1000)).filter((r) => !(r.ok && r.frame.type === 'HELLO'));
    must(got.length === 0, `${got.length} answer(s) to frames that must not be answered`);
  });
  await check(
    '3.2',
    'garbage, an OS probe and empty frames before a frame are skipped (resync at 0x00)',
    async () => {
      must(linked, 'needs a linked recorder');
      await wire.sendRaw(Buffer.from('AT+CGMI\r\n\x01\x02\xff\xfe'), 'probe and junk');
      await wire.sendRaw(Uint8Array.of(0, 0, 0), 'empty frames');
      const a = await wire.request({ type: 'GET_STATUS', version, body: {} });
      must(a?.type === 'STATUS', `GET_STATUS after garbage got ${a ? a.type : 'no answer'}`);
    },
  );

  // ---- §3.9.2 time sync ------------------------------------------------------------------------------
  await check(
    '3.9.2',
    'TIME_SYNC measures (echoes t0, adjusted false), sets (adjusted true, stepped), and never applies one t0 twice',
    async () => {
      must(linked, 'needs a linked recorder');
      const t0 = Date.now();
      const m = await wire.request({ type: 'TIME_SYNC', version, body: { t0 } });
      must(m?.type === 'TIME_SYNC_ACK', `measure got ${m ? m.type : 'no answer'}`);
      must(m.body.t0 === t0 && !m.body.adjusted, `measure answer ${JSON.stringify(m.body)}`);
      const offset = m.body.deviceTime - Date.now();
      const t1 = Date.now();
      const s = await wire.request({ type: 'TIME_SYNC', version, body: { t0: t1, adjustMs: 5000 } });
      must(
        s?.type === 'TIME_SYNC_ACK' && s.body.adjusted,
        `set got ${s ? JSON.stringify(s.body) : 'no answer'}`,
      );
      const stepped = s.body.deviceTime - Date.now() - offset;
      must(Math.abs(stepped - 5000) < 1000, `the clock moved ${stepped} ms, not +5000`);
      const again = await wire.request({ type: 'TIME_SYNC', version, body: { t0: t1, adjustMs: 5000 } });
      must(again?.type === 'TIME_SYNC_ACK' && !again.body.adjusted, 'the same t0 was applied twice');
      const back = await wire.request({ type: 'TIME_SYNC', version, body: { t0: t1 + 1, adjustMs: -5000 } });
      must(back?.type === 'TIME_SYNC_ACK' && back.body.adjusted, 'could not step back');
    },
  );

  // ---- §3.7 listing ------------------------------------------------------------------------------
  const listed = await check(
    '3.7',
    'LIST_CLIPS pages (limit 2) follow `next` to null: every pending clip once, oldest start first',
    async () => {
      must(linked && status, 'needs a linked recorder');
      let cursor: string | undefined;
      for (let page = 0; page < 1000; page++) {
        const a = await wire.request({
          type: 'LIST_CLIPS',
          version,
          body: { limit: 2, ...(cursor ? { cursor } : {}) },
        });
        must(a?.type === 'CLIP_LIST', `page ${page} got ${a ? a.type : 'no answer'}`);
        must(a.body.clips.length <= 2, `page ${page} has ${a.body.clips.length} clips for limit 2`);
        clips.push(...a.body.clips);
        if (a.body.next === null) break;
        must(a.body.clips.length > 0, 'an empty page with a next cursor');
        cursor = a.body.next;
      }
      const ids = new Set(clips.map((c) => c.clipId));
      must(ids.size === clips.length, 'a clip was listed twice');
      for (let i = 1; i < clips.length; i++)
        must(clips[i]!.start >= clips[i - 1]!.start, 'not oldest start first');
      must(
        clips.length === status.pendingClips,
        `listed ${clips.length}, STATUS pendingClips ${status.pendingClips}`,
      );
      return `${clips.length} clips`;
    },
  );
  await check(
    '3.7',
    'GET_CLIP answers the listed CLIP_INFO; an unknown id is ERROR NO_SUCH_CLIP',
    async () => {
      must(listed && clips.length > 0, 'needs at least one listed clip');
      const c = clips[0]!;
      const a = await wire.request({ type: 'GET_CLIP', version, body: { clipId: c.clipId } });
      must(a?.type === 'CLIP_INFO', `got ${a ? a.type : 'no answer'}`);
      must(JSON.stringify(a.body) === JSON.stringify(c), 'CLIP_INFO differs from the listing');
      const u = await wire.request({
        type: 'GET_CLIP',
        version,
        body: { clipId: 'no-such-clip.conformance' },
      });
      must(
        errorOf(u) === DockErrorCode.NO_SUCH_CLIP,
        `unknown id got ${u ? `${u.type} ${codeName(errorOf(u))}` : 'no answer'}`,
      );
    },
  );

  // ---- §3.6, §3.9.3 windowed READs -----------------------------------------------------------------
  const maxClip = o.maxClipBytes ?? 16 * 1024 * 1024;
  const target = clips.filter((c) => c.bytes > 0 && c.bytes <= maxClip).sort((a, b) => a.bytes - b.bytes)[0];
  await check(
    '3.9.3',
    'windowed READs at maxRead x window: each DATA echoes its READ, has the right length and EOF, a good chunk CRC; the clip hashes to CLIP_INFO sha256',
    async () => {
      must(hello && target, `needs a listed clip of 1 B .. ${maxClip} B`);
      const L = hello.maxRead;
      const W = hello.window;
      const out = Buffer.alloc(target.bytes);
      const pending = new Map<number, number>();
      const order: number[] = [];
      let next = 0;
      let done = 0;
      const issue = async () => {
        const seq = wire.nextSeq();
        pending.set(seq, next);
        order.push(seq);
        await wire.send({
          type: 'READ',
          seq,
          version,
          body: { clipId: target.clipId, offset: next, length: L },
        });
        next = Math.min(target.bytes, next + L);
      };
      while (next < target.bytes && pending.size < W) await issue();
      let frames = 0;
      while (done < target.bytes) {
        const r = await wire.next((x) => !(x.ok && x.frame.type === 'HELLO'), 3000);
        must(r, `no DATA within 3 s (${pending.size} READs outstanding)`);
        must(r.ok, `dropped frame from the recorder: ${!r.ok && r.error.code} ${!r.ok && r.error.message}`);
        const f = r.frame;
        must(f.type === 'DATA', `READ answered ${f.type} ${codeName(errorOf(f))}`);
        must(
          f.seq === order[0],
          `DATA seq ${f.seq} out of order (expected ${order[0]}: answers come in arrival order)`,
        );
        order.shift();
        const off = pending.get(f.seq)!;
        pending.delete(f.seq);
        const want = Math.min(L, target.bytes - off);
        must(
          f.body.clipId === target.clipId && f.body.offset === off,
          `DATA echoes ${f.body.clipId}@${f.body.offset}, READ was @${off}`,
        );
        must(f.body.chunk.length === want, `DATA @${off} has ${f.body.chunk.length} B, must be ${want}`);
        must(f.body.eof === (off + want === target.bytes), `DATA @${off} EOF flag ${f.body.eof}`);
        out.set(f.body.chunk, off);
        done += want;
        frames++;
        if (next < target.bytes) await issue();
      }
      const sha = createHash('sha256').update(out).digest('hex');
      must(
        sha === target.sha256,
        `SHA-256 of the ${target.bytes} B read is ${sha}, CLIP_INFO says ${target.sha256}`,
      );
      clipBytes = out;
      return `${target.clipId}: ${target.bytes} B in ${frames} DATA, window ${W} x ${L} B`;
    },
  );
  await check(
    '3.6.1',
    'READ above maxRead (within 61 440) is ERROR OUT_OF_RANGE; past the end OUT_OF_RANGE; at the end an empty EOF DATA; an unknown clip NO_SUCH_CLIP',
    async () => {
      must(hello && target, 'needs a listed clip');
      if (hello.maxRead < MAX_CHUNK_BYTES) {
        const a = await wire.request({
          type: 'READ',
          version,
          body: { clipId: target.clipId, offset: 0, length: hello.maxRead + 1 },
        });
        must(
          errorOf(a) === DockErrorCode.OUT_OF_RANGE,
          `length maxRead+1 got ${a ? `${a.type} ${codeName(errorOf(a))}` : 'no answer'}`,
        );
      }
      const past = await wire.request({
        type: 'READ',
        version,
        body: { clipId: target.clipId, offset: target.bytes + 1, length: 1 },
      });
      must(
        errorOf(past) === DockErrorCode.OUT_OF_RANGE,
        `offset size+1 got ${past ? `${past.type} ${codeName(errorOf(past))}` : 'no answer'}`,
      );
      const end = await wire.request({
        type: 'READ',
        version,
        body: { clipId: target.clipId, offset: target.bytes, length: 16 },
      });
      must(
        end?.type === 'DATA' && end.body.chunk.length === 0 && end.body.eof,
        `offset == size got ${end ? end.type : 'no answer'}`,
      );
      const u = await wire.request({
        type: 'READ',
        version,
        body: { clipId: 'no-such-clip.conformance', offset: 0, length: 16 },
      });
      must(
        errorOf(u) === DockErrorCode.NO_SUCH_CLIP,
        `unknown clip got ${u ? `${u.type} ${codeName(errorOf(u))}` : 'no answer'}`,
      );
    },
  );
  await check(
    '3.8',
    'a READ with a bad CRC is dropped; its retransmission with a new seq is answered',
    async () => {
      must(hello && target, 'needs a listed clip');
      const body = Buffer.alloc(76);
      body.write(target.clipId, 'ascii');
      body.writeUInt32LE(Math.min(16, target.bytes), 72);
      await wire.sendRaw(rawWire(version, DockType.READ, wire.nextSeq(), body, true), 'READ with a bad CRC');
      const got = (await wire.collect(700)).filter((r) => !(r.ok && r.frame.type === 'HELLO'));
      must(got.length === 0, 'a frame with a bad CRC was answered');
      const a = await wire.request({
        type: 'READ',
        version,
        body: { clipId: target.clipId, offset: 0, length: Math.min(16, target.bytes) },
      });
      must(a?.type === 'DATA', `the retransmission got ${a ? a.type : 'no answer'}`);
    },
  );

  // ---- §3.9.3 resume after a cut link ---------------------------------------------------------------
  await check(
    '3.9.3',
    'a cut link (port closed and reopened): the recorder says HELLO again and READ resumes at any offset',
    async () => {
      must(hello && target && clipBytes, 'needs a clip read whole');
      await wire.close();
      wire.note('-- port closed --');
      say('cut link: port closed; if the recorder must be replugged, unplug and replug it now');
      await o.onCut?.();
      let port: DockPort | undefined;
      for (let i = 0; i < 120 && !port; i++) {
        port = await o.open().catch(() => undefined);
        if (!port) await sleep(500);
      }
      must(port, 'the port did not come back within 60 s');
      const before = wire.takeTranscript();
      wire = new KitWire(port);
      for (const l of before) wire.note(l);
      wire.note('-- port reopened --');
      await wire.sendRaw(Uint8Array.of(0), '0x00 (port opened)');
      // LINK_TIMEOUT_MS (6 s) at most before the recorder is back in HELLO_WAIT.
      await link(10_000);
      const k = Math.floor(target.bytes / 2);
      const a = await wire.request({
        type: 'READ',
        version,
        body: { clipId: target.clipId, offset: k, length: Math.min(hello.maxRead, target.bytes - k) },
      });
      must(a?.type === 'DATA', `READ @${k} after the cut got ${a ? a.type : 'no answer'}`);
      must(
        Buffer.from(a.body.chunk).equals(clipBytes.subarray(k, k + a.body.chunk.length)),
        `bytes @${k} differ from the first read`,
      );
    },
  );

  // ---- §3.9.4 release -----------------------------------------------------------------------------
  await check('3.9.4', 'RELEASE with a wrong sha256 is ERROR HASH_MISMATCH and frees nothing', async () => {
    must(target, 'needs a listed clip');
    const a = await wire.request({
      type: 'RELEASE',
      version,
      body: { clipId: target.clipId, sha256: '0'.repeat(64) },
    });
    must(
      errorOf(a) === DockErrorCode.HASH_MISMATCH,
      `got ${a ? `${a.type} ${codeName(errorOf(a))}` : 'no answer'}`,
    );
    const g = await wire.request({ type: 'GET_CLIP', version, body: { clipId: target.clipId } });
    must(g?.type === 'CLIP_INFO', 'the clip is gone after a refused RELEASE');
  });
  if (o.release) {
    await check(
      '3.9.4',
      'RELEASE with the right sha256 frees the clip (released), again is unknown, and pendingClips drops by one',
      async () => {
        must(target && status, 'needs a listed clip');
        const before = await wire.request({ type: 'GET_STATUS', version, body: {} });
        const a = await wire.request({
          type: 'RELEASE',
          version,
          body: { clipId: target.clipId, sha256: target.sha256 },
        });
        must(
          a?.type === 'RELEASE_ACK' && a.body.result === 'released',
          `got ${a ? JSON.stringify(a.body) : 'no answer'}`,
        );
        const b = await wire.request({
          type: 'RELEASE',
          version,
          body: { clipId: target.clipId, sha256: target.sha256 },
        });
        must(
          b?.type === 'RELEASE_ACK' && b.body.result === 'unknown',
          `again got ${b ? JSON.stringify(b.body) : 'no answer'}`,
        );
        const after = await wire.request({ type: 'GET_STATUS', version, body: {} });
        must(before?.type === 'STATUS' && after?.type === 'STATUS', 'no STATUS');
        must(
          after.body.pendingClips === before.body.pendingClips - 1,
          `pendingClips ${before.body.pendingClips} -> ${after.body.pendingClips}`,
        );
      },
    );
  } else {
    say('skipped: RELEASE of a clip (run with --release to let the kit delete one clip)');
  }
  await wire.close();
  return results;
}
