/**
 * One example per message, used for the vectors, the round-trip tests and PROTOCOL.md.
 * Fixed values only, so the generated vectors are reproducible.
 */
import type { Officer } from '../common.js';
import type { ClipInfo, DockFrameInput, Status } from '../dock/index.js';
import type { Command, CommandResponse, RecorderEvent, Status as MqttStatus, Telemetry } from '../mqtt/messages.js';

export const T0 = 1_767_256_200_000; // 2026-01-01T08:30:00Z
export const SERIAL = 'RB0001';
export const officer: Officer = { id: 'P1024', name: '李明', certNo: 'GD-2024-00123' };
export const CLIP_ID = 'RB0001-20260101T083000-0001';
export const SESSION_ID = 'S-20260101-0830-RB0001';
export const CLIP_SHA = 'a3f1c2d4e5b6978899aabbccddeeff00112233445566778899aabbccddeeff01';

export const clipInfo: ClipInfo = {
  clipId: CLIP_ID,
  sessionId: SESSION_ID,
  start: T0,
  end: T0 + 300_000,
  bytes: 187_432_960,
  sha256: CLIP_SHA,
  markers: [
    { marker: 'notice-given', at: T0 + 2_000 },
    { marker: 'statement', at: T0 + 9_000 },
  ],
  officer,
  activity: 'inspection',
  caseNo: 'GD-GB-2026-0042',
};

export const status: Status = {
  state: 'docked',
  battery: { pct: 64, charging: true, voltageMv: 3890 },
  storage: { totalBytes: 64_000_000_000, freeBytes: 51_200_000_000 },
  officer,
  deviceTime: T0 + 310_000,
  pendingClips: 3,
};

/** Every dock message type once (TIME_SYNC twice: measure and set). */
export const dockExamples: DockFrameInput[] = [
  {
    type: 'HELLO',
    seq: 1,
    body: {
      model: 'BC-7',
      serial: SERIAL,
      firmware: '2.1.0',
      versions: [1],
      capabilities: ['pair', 'time-set', 'release'],
      deviceTime: T0 + 300_412,
      maxRead: 61_440,
      window: 8,
    },
  },
  { type: 'HELLO_ACK', seq: 1, body: { version: 1, gatewayId: 'gw-office-1', gatewayTime: T0 + 300_000 } },
  { type: 'TIME_SYNC', seq: 100, body: { t0: T0 + 300_010 } },
  { type: 'TIME_SYNC', seq: 101, body: { t0: T0 + 300_030, adjustMs: -412 } },
  { type: 'TIME_SYNC_ACK', seq: 100, body: { t0: T0 + 300_010, deviceTime: T0 + 300_427, adjusted: false } },
  { type: 'PAIR', seq: 102, body: { officer, at: T0 + 300_050 } },
  { type: 'PAIR_ACK', seq: 102, body: status },
  { type: 'UNPAIR', seq: 103, body: {} },
  { type: 'UNPAIR_ACK', seq: 103, body: { ...status, officer: null } },
  { type: 'GET_STATUS', seq: 104, body: {} },
  { type: 'STATUS', seq: 104, body: status },
  { type: 'LIST_CLIPS', seq: 105, body: { limit: 16 } },
  { type: 'CLIP_LIST', seq: 105, body: { clips: [clipInfo], next: 'p2' } },
  { type: 'GET_CLIP', seq: 106, body: { clipId: CLIP_ID } },
  { type: 'CLIP_INFO', seq: 106, body: clipInfo },
  { type: 'READ', seq: 107, body: { clipId: CLIP_ID, offset: 4_294_967_296 + 32_768, length: 32_768 } },
  {
    type: 'DATA',
    seq: 107,
    body: {
      clipId: CLIP_ID,
      offset: 4_294_967_296 + 32_768,
      eof: false,
      chunkCrc: 0, // filled in by the generator
      chunk: Uint8Array.of(0x00, 0x00, 0x00, 0x01, 0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10),
    },
  },
  { type: 'RELEASE', seq: 108, body: { clipId: CLIP_ID, sha256: CLIP_SHA } },
  { type: 'RELEASE_ACK', seq: 108, body: { clipId: CLIP_ID, result: 'released' } },
  { type: 'ERROR', seq: 109, body: { code: 0x0020, message: 'no such clip: RB0001-20251231T170000-0007' } },
];

export const telemetry: Telemetry = {
  v: 1,
  at: T0,
  state: 'recording',
  battery: { pct: 71.5, voltageMv: 3925, charging: false, tempC: 31.2 },
  storage: { totalBytes: 64_000_000_000, freeBytes: 40_120_000_000 },
  position: { lat: 23.1291, lon: 113.2644, accM: 8 },
  signalDbm: -87,
  firmware: '2.1.0',
  sessionId: SESSION_ID,
};

const ev = (seq: number, at: number) => ({ v: 1 as const, id: `${SERIAL}-e${seq}`, seq, at });
export const events: RecorderEvent[] = [
  {
    ...ev(41, T0),
    type: 'session-started',
    sessionId: SESSION_ID,
    activity: 'inspection',
    caseNo: 'GD-GB-2026-0042',
    officerId: 'P1024',
  },
  { ...ev(42, T0 + 1_000), type: 'recording-started', sessionId: SESSION_ID },
  { ...ev(43, T0 + 2_000), type: 'marker', sessionId: SESSION_ID, marker: 'notice-given' },
  { ...ev(44, T0 + 9_000), type: 'marker', sessionId: SESSION_ID, marker: 'statement', note: 'site inspection' },
  {
    ...ev(45, T0 + 300_000),
    type: 'segment-closed',
    sessionId: SESSION_ID,
    clipId: CLIP_ID,
    start: T0,
    end: T0 + 300_000,
    bytes: 187_432_960,
    sha256: CLIP_SHA,
  },
  {
    ...ev(46, T0 + 420_000),
    type: 'recording-stopped',
    sessionId: SESSION_ID,
    cause: 'battery',
    canContinue: true,
  },
  { ...ev(47, T0 + 600_000), type: 'fault-raised', code: 'SD_SLOW', message: 'storage write latency high' },
  { ...ev(48, T0 + 660_000), type: 'fault-cleared', code: 'SD_SLOW' },
  { ...ev(49, T0 + 900_000), type: 'marker', sessionId: SESSION_ID, marker: 'resume-statement' },
  { ...ev(50, T0 + 1_800_000), type: 'session-ended', sessionId: SESSION_ID },
];

export const statusOnline: MqttStatus = { v: 1, online: true, at: T0 };
export const statusWill: MqttStatus = { v: 1, online: false, at: T0 };

export const commands: Command[] = [
  { v: 1, tid: 'gw-7f3a-0001', sentAt: T0, cmd: 'time-sync', gatewayTime: T0 },
  { v: 1, tid: 'gw-7f3a-0002', sentAt: T0, cmd: 'locate', seconds: 10 },
  {
    v: 1,
    tid: 'gw-7f3a-0003',
    sentAt: T0,
    cmd: 'config',
    segmentSeconds: 300,
    telemetryIntervalS: 30,
    officer,
  },
];

export const responses: CommandResponse[] = [
  { v: 1, tid: 'gw-7f3a-0001', ok: true, at: T0 + 40, deviceTime: T0 + 452 },
  { v: 1, tid: 'gw-7f3a-0002', ok: false, at: T0 + 35, error: { code: 'BUSY', message: 'speaker in use' } },
];
