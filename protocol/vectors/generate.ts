/**
 * Regenerates the committed vectors: `npx tsx protocol/vectors/generate.ts`.
 * The committed JSON is the source of truth; tests fail if the codec drifts from it.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import {
  cobsEncode,
  crc32c,
  type DockFrameInput,
  DockParser,
  DockType,
  encodeFrame,
  encodeFrameParts,
} from '../dock/index.js';
import { decodePayload, encodePayload } from '../mqtt/decode.js';
import { topics } from '../mqtt/topics.js';
import * as ex from './examples.js';
import {
  type DockVector,
  type ExpectJson,
  eventToJson,
  frameToJson,
  hex,
  type MqttVector,
  type WireChunk,
  wireBytes,
} from './format.js';

const here = dirname(fileURLToPath(import.meta.url));

function run(chunks: WireChunk[]): ExpectJson[] {
  const p = new DockParser();
  return chunks.flatMap((c) => p.feed(wireBytes(c)).map(eventToJson));
}

function withCrc(f: DockFrameInput): DockFrameInput {
  return f.type === 'DATA' ? { ...f, body: { ...f.body, chunkCrc: crc32c(f.body.chunk) } } : f;
}

const kebab = (t: string) => t.toLowerCase().replaceAll('_', '-');
const dock: DockVector[] = [];
let n = 0;
const name = (s: string) => `${String(++n).padStart(2, '0')}-${s}`;

/** A vector whose expectation is the parser's output; `check` asserts what it must be. */
function addRaw(vname: string, meaning: string, chunks: WireChunk[], check: (e: ExpectJson[]) => boolean): void {
  const expect = run(chunks);
  if (!check(expect)) throw new Error(`${vname}: unexpected ${JSON.stringify(expect)}`);
  dock.push({ name: name(vname), meaning, chunks, expect, encodes: false });
}

function addFrame(vname: string, meaning: string, f: DockFrameInput): Uint8Array {
  const frame = withCrc(f);
  const wire = encodeFrame(frame);
  const expect = run([hex(wire)]);
  const want = frameToJson({ ...frame, version: 1 } as never);
  if (expect.length !== 1 || !expect[0]!.ok || !isDeepStrictEqual(expect[0]!.frame, want)) {
    throw new Error(`${vname}: round trip failed ${JSON.stringify(expect)}`);
  }
  dock.push({ name: name(vname), meaning, chunks: [hex(wire)], expect, encodes: true });
  return wire;
}

const meaningOf: Record<string, string> = {
  HELLO: 'Recorder announces itself on docking: identity, versions, capabilities, clock, READ limits.',
  HELLO_ACK: 'Gateway accepts the HELLO (echoes its seq) and fixes the version for the session.',
  TIME_SYNC_ACK: 'Recorder answers a TIME_SYNC: echoes t0 and reports its clock.',
  PAIR: 'Gateway pairs the recorder to an officer (UTF-8 name).',
  PAIR_ACK: 'Recorder confirms pairing with its new STATUS.',
  UNPAIR: 'Gateway clears the pairing (empty JSON object body).',
  UNPAIR_ACK: 'Recorder confirms with its STATUS, officer null.',
  GET_STATUS: 'Gateway asks for STATUS (also the keepalive).',
  STATUS: 'Recorder state, battery, storage, paired officer, clock, clips pending.',
  LIST_CLIPS: 'Gateway asks for the first page of closed clips, at most 16.',
  CLIP_LIST: 'One page of clips, oldest first, with the cursor of the next page.',
  GET_CLIP: 'Gateway asks for one clip’s info (used when resuming).',
  CLIP_INFO: 'One clip: size, SHA-256, start/end, session, markers, officer.',
  READ: 'Gateway reads 32 KiB at offset 2^32 + 32768 (u64 offset, binary layout).',
  DATA: 'Recorder returns a 16-byte chunk (contains 0x00 bytes) with its own CRC-32C.',
  RELEASE: 'Gateway has verified SHA-256 and persisted the clip; the recorder may free it.',
  RELEASE_ACK: 'Recorder has freed the clip.',
  ERROR: 'Recorder refuses a request: NO_SUCH_CLIP (0x0020) with text.',
};

const wires: Record<string, Uint8Array> = {};
for (const f of ex.dockExamples) {
  let vname = kebab(f.type);
  let meaning = meaningOf[f.type] ?? '';
  if (f.type === 'TIME_SYNC') {
    const set = f.body.adjustMs !== undefined;
    vname += set ? '-set' : '-measure';
    meaning = set
      ? 'Gateway steps the recorder clock by -412 ms (adjustMs), then reads it back.'
      : 'Gateway measures the clock offset: sends its time t0.';
  }
  wires[vname] = addFrame(vname, meaning, f);
}

const clip = ex.CLIP_ID;
addFrame('data-eof-empty', 'DATA at the clip end: empty chunk, EOF flag set, CRC-32C of nothing = 0.', {
  type: 'DATA',
  seq: 110,
  body: { clipId: clip, offset: ex.clipInfo.bytes, eof: true, chunkCrc: 0, chunk: new Uint8Array(0) },
});
const run300 = Uint8Array.from({ length: 300 }, (_, i) => (i % 255) + 1);
addFrame('data-long-run', 'DATA with 300 non-zero bytes: exercises COBS 0xFF blocks.', {
  type: 'DATA',
  seq: 111,
  body: { clipId: clip, offset: 0, eof: false, chunkCrc: 0, chunk: run300 },
});

const getStatus = wires['get-status']!;
const readWire = wires.read!;
const helloWire = wires.hello!;
const pairWire = wires.pair!;
const dataWire = wires.data!;
const isFrame = (e: ExpectJson | undefined, type: string) => !!e && e.ok && e.frame.type === type;
const isErr = (e: ExpectJson | undefined, code: string) => !!e && !e.ok && e.code === code;

{
  const w = readWire.slice();
  w[20] = w[20]! ^ 0x04; // inside the clip id; not a COBS code byte, not 0x00 after the flip
  addRaw('bad-check', 'The READ vector with one bit flipped (byte 20): BAD_CHECK, frame dropped.', [hex(w)], (e) =>
    isErr(e[0], 'BAD_CHECK') && e.length === 1,
  );
}
addRaw(
  'split-across-chunks',
  'HELLO then DATA fed in 5 chunks split at 1 byte, mid COBS block and mid header: both decode.',
  [
    hex(helloWire.subarray(0, 1)),
    hex(helloWire.subarray(1, 40)),
    hex(Buffer.concat([helloWire.subarray(40), dataWire.subarray(0, 3)])),
    hex(dataWire.subarray(3, 20)),
    hex(dataWire.subarray(20)),
  ],
  (e) => e.length === 2 && isFrame(e[0], 'HELLO') && isFrame(e[1], 'DATA'),
);
addRaw(
  'garbage-before-frame',
  'A modem probe ("AT+CGMI\\r\\n", no 0x00) then a GET_STATUS: the leading 0x00 ends the garbage (one error), the frame decodes.',
  [hex(Buffer.concat([Buffer.from('AT+CGMI\r\n'), getStatus]))],
  (e) => e.length === 2 && !e[0]!.ok && isFrame(e[1], 'GET_STATUS'),
);
addRaw(
  'garbage-with-zeros',
  'Random bytes containing 0x00 before a READ: each 0x00-terminated piece is one error, then the frame.',
  [hex(Buffer.concat([Uint8Array.of(0x13, 0x37, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x05, 0x01), readWire]))],
  (e) => isFrame(e.at(-1), 'READ') && e.slice(0, -1).every((x) => !x.ok),
);
{
  const w = Buffer.concat([pairWire.subarray(0, 30), pairWire.subarray(31)]);
  addRaw(
    'lost-byte',
    'PAIR with data byte 30 lost in transit, then GET_STATUS: the PAIR is dropped (here BAD_COBS: the shifted block structure runs into the 0x00; elsewhere it may be BAD_CHECK), the next frame decodes.',
    [hex(Buffer.concat([w, getStatus]))],
    (e) => e.length === 2 && !e[0]!.ok && isFrame(e[1], 'GET_STATUS'),
  );
}
{
  const w = Buffer.concat([pairWire.subarray(0, 1), pairWire.subarray(2)]);
  addRaw(
    'lost-code-byte',
    'PAIR with byte 1 lost (its first COBS code byte): the rest is misparsed and dropped, then GET_STATUS decodes.',
    [hex(Buffer.concat([w, getStatus]))],
    (e) => e.length >= 2 && !e[0]!.ok && isFrame(e.at(-1), 'GET_STATUS'),
  );
}
addRaw(
  'lost-delimiter',
  'READ with its trailing 0x00 lost, then GET_STATUS: the next frame’s leading 0x00 still ends the READ; both decode.',
  [hex(Buffer.concat([readWire.subarray(0, readWire.length - 1), getStatus]))],
  (e) => e.length === 2 && isFrame(e[0], 'READ') && isFrame(e[1], 'GET_STATUS'),
);
addRaw(
  'truncated-by-unplug',
  'The first 9 bytes of a DATA (cable pulled), then a fresh HELLO: the stub is dropped (BAD_COBS), HELLO decodes.',
  [hex(dataWire.subarray(0, 9)), hex(helloWire)],
  (e) => e.length === 2 && isErr(e[0], 'BAD_COBS') && isFrame(e[1], 'HELLO'),
);
addRaw(
  'oversize',
  '0x00 then 70000 bytes 0xFF (decodes to a run longer than MAX_FRAME_BYTES = 65544): OVERSIZE once, bytes skipped to the next 0x00, then GET_STATUS decodes.',
  ['00', { repeat: 'ff', count: 70_000 }, hex(getStatus)],
  (e) => e.length === 2 && isErr(e[0], 'OVERSIZE') && isFrame(e[1], 'GET_STATUS'),
);

const raw = (version: number, type: number, seq: number, body: Uint8Array) =>
  hex(encodeFrameParts(Uint8Array.of(version, type, seq & 0xff, seq >> 8), [body]));
const json = (o: unknown) => new Uint8Array(Buffer.from(JSON.stringify(o)));

addRaw(
  'unknown-type',
  'Type 0x42 with a good CRC: UNKNOWN_TYPE with seq 200, so the receiver can answer ERROR UNKNOWN_TYPE.',
  [raw(1, 0x42, 200, json({}))],
  (e) => isErr(e[0], 'UNKNOWN_TYPE') && e[0]?.ok === false && e[0].seq === 200,
);
addRaw(
  'bad-version',
  'GET_STATUS with header version 2 (not negotiated): BAD_VERSION with seq 201.',
  [raw(2, DockType.GET_STATUS, 201, json({}))],
  (e) => isErr(e[0], 'BAD_VERSION') && e[0]?.ok === false && e[0].seq === 201,
);
addRaw(
  'hello-bad-version',
  'HELLO with header version 3: HELLO, HELLO_ACK and ERROR are always version 1, so BAD_VERSION.',
  [raw(3, DockType.HELLO, 2, json(ex.dockExamples[0]!.body))],
  (e) => isErr(e[0], 'BAD_VERSION'),
);
addRaw(
  'too-short',
  'A 3-byte frame (less than header + CRC): TOO_SHORT.',
  [`00${hex(cobsEncode(Uint8Array.of(1, 5, 0)))}00`],
  (e) => e.length === 1 && isErr(e[0], 'TOO_SHORT'),
);
addRaw(
  'bad-body-schema',
  'GET_CLIP whose clipId is a number: BAD_BODY with seq 202.',
  [raw(1, DockType.GET_CLIP, 202, json({ clipId: 42 }))],
  (e) => isErr(e[0], 'BAD_BODY') && e[0]?.ok === false && e[0].seq === 202,
);
addRaw(
  'bad-body-not-json',
  'STATUS whose body is not JSON: BAD_BODY.',
  [raw(1, DockType.STATUS, 203, new Uint8Array(Buffer.from('battery=64')))],
  (e) => isErr(e[0], 'BAD_BODY'),
);
addRaw(
  'bad-body-read-size',
  'READ with a 75-byte body (must be exactly 76): BAD_BODY.',
  [raw(1, DockType.READ, 204, new Uint8Array(75).fill(0x41))],
  (e) => isErr(e[0], 'BAD_BODY'),
);
{
  const body = new Uint8Array(76);
  body.set(Buffer.from(clip));
  addRaw('read-length-zero', 'READ with length 0 (must be 1..61440): BAD_BODY.', [raw(1, DockType.READ, 205, body)], (e) =>
    isErr(e[0], 'BAD_BODY'),
  );
}
{
  const chunk = Uint8Array.of(1, 2, 3, 4);
  const wire = encodeFrame({
    type: 'DATA',
    seq: 206,
    body: { clipId: clip, offset: 0, eof: false, chunkCrc: (crc32c(chunk) ^ 1) >>> 0, chunk },
  });
  addRaw(
    'bad-chunk-check',
    'DATA whose frame CRC is good but whose chunk CRC-32C is wrong: BAD_CHUNK_CHECK with seq 206 (re-READ).',
    [hex(wire)],
    (e) => isErr(e[0], 'BAD_CHUNK_CHECK') && e[0]?.ok === false && e[0].seq === 206,
  );
}
addRaw(
  'back-to-back',
  'READ, DATA and GET_STATUS in one chunk: three frames in order.',
  [hex(Buffer.concat([readWire, dataWire, getStatus]))],
  (e) => e.length === 3 && isFrame(e[0], 'READ') && isFrame(e[1], 'DATA') && isFrame(e[2], 'GET_STATUS'),
);
addRaw(
  'empty-frames',
  'Runs of 0x00 between frames are empty frames and produce nothing.',
  [`000000${hex(getStatus)}0000`],
  (e) => e.length === 1 && isFrame(e[0], 'GET_STATUS'),
);
addRaw(
  'unknown-json-field',
  'HELLO_ACK with an extra JSON key "future": unknown keys are ignored and stripped.',
  [raw(1, DockType.HELLO_ACK, 1, json({ ...ex.dockExamples[1]!.body, future: { x: 1 } }))],
  (e) => isFrame(e[0], 'HELLO_ACK') && e[0]?.ok === true && !('future' in e[0].frame.body),
);
addRaw(
  'bad-version-unknown-type',
  'Header version 9 and unknown type 0x42 with a good CRC: the version is checked first, so BAD_VERSION with seq 207 (PROTOCOL.md §3.5).',
  [raw(9, 0x42, 207, json({}))],
  (e) => isErr(e[0], 'BAD_VERSION') && e[0]?.ok === false && e[0].seq === 207,
);
// --- MQTT ---
const mqtt: MqttVector[] = [];
let m = 0;
function addMqtt(vname: string, meaning: string, topic: string, payload: string): void {
  const kind = topic.split('/').slice(3).join('/') as Parameters<typeof decodePayload>[0];
  const r = decodePayload(kind, new Uint8Array(Buffer.from(payload)));
  const expect = r.ok ? { ok: true as const, value: r.value } : { ok: false as const, code: r.code };
  mqtt.push({ name: `${String(++m).padStart(2, '0')}-${vname}`, meaning, topic, payload, expect });
}
const S = ex.SERIAL;
const body = (o: unknown) => encodePayload(o).toString('utf8');
addMqtt('telemetry', 'Periodic telemetry, QoS 0.', topics.telemetry(S), body(ex.telemetry));
for (const e of ex.events) {
  const what = e.type === 'marker' ? `marker-${e.marker}` : e.type;
  addMqtt(`event-${what}`, `Event ${what}, QoS 1; de-duplicated on (serial, id).`, topics.event(S), body(e));
}
addMqtt('status-online', 'Retained status after connect.', topics.status(S), body(ex.statusOnline));
addMqtt('status-will', 'Last will, retained: published by the broker if the recorder vanishes.', topics.status(S), body(ex.statusWill));
for (const c of ex.commands) addMqtt(`cmd-${c.cmd}`, `Command ${c.cmd}.`, topics.cmd(S), body(c));
for (const r of ex.responses) {
  addMqtt(`cmd-res-${r.ok ? 'ok' : 'error'}`, 'Command response, matched by tid.', topics.cmdResponse(S), body(r));
}
addMqtt(
  'unknown-field',
  'Unknown fields are ignored and stripped.',
  topics.status(S),
  body({ ...ex.statusOnline, batteryHint: 'full' }),
);
addMqtt('bad-version', 'Unknown v is rejected: BAD_VERSION.', topics.status(S), body({ ...ex.statusOnline, v: 2 }));
addMqtt('bad-json', 'Not JSON: BAD_JSON.', topics.telemetry(S), '{"v":1,');
addMqtt(
  'bad-payload',
  'A known field of the wrong type: BAD_PAYLOAD.',
  topics.event(S),
  body({ ...ex.events[0], seq: 'forty-one' }),
);

// --- CRC and COBS reference values (independent of our code: RFC 3720 B.4, Cheshire & Baker) ---
const seqBytes = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const checks = {
  crc32c: {
    poly: '0x82F63B78 (reflected; 0x1EDC6F41 normal)',
    init: '0xFFFFFFFF',
    xorout: '0xFFFFFFFF',
    reflected: true,
    cases: [
      { meaning: 'ASCII "123456789" (the check value)', hex: hex(Buffer.from('123456789')), crc: '0xE3069283' },
      { meaning: 'empty', hex: '', crc: '0x00000000' },
      { meaning: '32 x 0x00 (RFC 3720 B.4)', hex: '00'.repeat(32), crc: '0x8A9136AA' },
      { meaning: '32 x 0xFF (RFC 3720 B.4)', hex: 'ff'.repeat(32), crc: '0x62A8AB43' },
      { meaning: '0x00..0x1F (RFC 3720 B.4)', hex: hex(Uint8Array.from(seqBytes(0, 31))), crc: '0x46DD794E' },
      { meaning: '0x1F..0x00 (RFC 3720 B.4)', hex: hex(Uint8Array.from(seqBytes(0, 31).reverse())), crc: '0x113FDB5C' },
    ],
  },
  cobs: [
    ['00', '0101'],
    ['0000', '010101'],
    ['001100', '01021101'],
    ['11220033', '0311220233'],
    ['11223344', '0511223344'],
    ['11000000', '0211010101'],
    [hex(Uint8Array.from(seqBytes(1, 254))), `ff${hex(Uint8Array.from(seqBytes(1, 254)))}`],
    [`00${hex(Uint8Array.from(seqBytes(1, 254)))}`, `01ff${hex(Uint8Array.from(seqBytes(1, 254)))}`],
    [hex(Uint8Array.from(seqBytes(1, 255))), `ff${hex(Uint8Array.from(seqBytes(1, 254)))}02ff`],
    [`${hex(Uint8Array.from(seqBytes(2, 255)))}00`, `ff${hex(Uint8Array.from(seqBytes(2, 255)))}0101`],
    [`${hex(Uint8Array.from(seqBytes(3, 255)))}0001`, `fe${hex(Uint8Array.from(seqBytes(3, 255)))}0201`],
  ].map(([data, cobs]) => ({ data: data!, cobs: cobs! })),
};
for (const c of checks.crc32c.cases) {
  const got = crc32c(Buffer.from(c.hex, 'hex'));
  if (got !== Number(c.crc)) throw new Error(`crc ${c.meaning}: ${got.toString(16)}`);
}
for (const c of checks.cobs) {
  const got = hex(cobsEncode(Buffer.from(c.data, 'hex')));
  if (got !== c.cobs) throw new Error(`cobs ${c.data}: ${got}`);
}

function writeAll(dir: string, items: { name: string }[]): void {
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.endsWith('.json')) rmSync(join(dir, f));
  for (const v of items) writeFileSync(join(dir, `${v.name}.json`), `${JSON.stringify(v, null, 2)}\n`);
}
writeAll(join(here, 'dock'), dock);
writeAll(join(here, 'mqtt'), mqtt);
writeFileSync(join(here, 'checks.json'), `${JSON.stringify(checks, null, 2)}\n`);
console.log(JSON.stringify({ dock: dock.length, mqtt: mqtt.length }));
