/**
 * The real gateway recording simulated hearing-room cameras: one room per camera, short segments
 * and thresholds so tests stay fast.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { type CameraFleet, startCameras } from '../../device-sim/camera/index.js';
import type { SimCameraOptionsInput } from '../../device-sim/camera/sim-camera.js';
import type { GatewayConfigInput } from '../../gateway/config.js';
import type { InterruptionRecord } from '../../gateway/interruptions/record.js';
import type { Logger } from '../../gateway/log.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

export interface HearingRig {
  fleet: CameraFleet;
  gw: TestGateway;
  staff: ApiClient;
  manager: ApiClient;
  principal: ApiClient;
  /** Room id of camera i (R1, R2, ...); camera ids are cam1, cam2, ... */
  room(i: number): string;
  stop(): Promise<void>;
}

export const PASSWORD = 'Hear1ng-pw';

export function rigCameraConfig(
  n: number,
  more: GatewayConfigInput['cameras'] = {},
): GatewayConfigInput['cameras'] {
  return {
    rooms: Array.from({ length: n }, (_, i) => ({ id: `R${i + 1}`, name: `Hearing Room ${i + 1}` })),
    segmentSeconds: 2,
    staleDataS: 1.5,
    resumeAlertS: 3,
    healthPollS: 600,
    ...more,
  };
}

export async function startHearingRig(
  n: number,
  opts: {
    firstOctet: number;
    cameras?: GatewayConfigInput['cameras'];
    dataDir?: string;
    log?: Logger;
    /** Simulated camera options (audio track, audio first or video first, ...). */
    camera?: Omit<SimCameraOptionsInput, 'address' | 'user' | 'password'>;
    /** Options of camera i on top of `camera` (e.g. one codec per camera). */
    perCamera?: (i: number) => Omit<SimCameraOptionsInput, 'address' | 'user' | 'password'>;
    /** More gateway config (cameras aside). */
    gateway?: Omit<GatewayConfigInput, 'cameras' | 'dataDir'>;
    /** Every camera in room R1 (a room with several cameras) instead of one room per camera. */
    oneRoom?: boolean;
  },
): Promise<HearingRig> {
  const fleet = await startCameras(n, {
    firstOctet: opts.firstOctet,
    common: { ...opts.camera, user: 'admin', password: PASSWORD },
    ...(opts.perCamera ? { perCamera: opts.perCamera } : {}),
  });
  let gw: TestGateway | undefined;
  try {
    gw = await startGateway(
      {
        ...opts.gateway,
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
        cameras: rigCameraConfig(n, opts.cameras),
      },
      { log: opts.log },
    );
    for (const [i, cam] of fleet.cameras.entries()) {
      await gw.app.cameras.add(
        {
          id: `cam${i + 1}`,
          xaddr: cam.xaddr,
          user: 'admin',
          password: PASSWORD,
          roomId: opts.oneRoom ? 'R1' : `R${i + 1}`,
        },
        'test',
      );
    }
    const g = gw;
    return {
      fleet,
      gw: g,
      staff: await g.as('hearing-staff'),
      manager: await g.as('equipment-manager'),
      principal: await g.as('principal'),
      room: (i) => `R${i + 1}`,
      async stop() {
        await g.stop();
        await fleet.stop();
      },
    };
  } catch (err) {
    await gw?.stop();
    await fleet.stop();
    throw err;
  }
}

/** Polls until `fn` returns a value other than undefined/false (the timeout only guards a hang). */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a hearing in room R1 and waits for its first stored segment; returns the session id. */
export async function startHearingWithSegment(rig: HearingRig, caseNo: string): Promise<string> {
  const started = await rig.staff.post('/api/hearings', { roomId: 'R1', caseNo });
  expect(started.status).toBe(200);
  const id = started.body.id as string;
  await waitFor(
    async () => (await rig.staff.get(`/api/hearings/${id}`)).body.live.segments >= 1 || undefined,
    'first segment',
  );
  return id;
}

/** Ids of the interruption records a session has now (a slow start may already have left one). */
export async function interruptionIds(
  rig: Pick<HearingRig, 'principal'>,
  sessionId: string,
): Promise<Set<string>> {
  const r = await rig.principal.get(`/api/interruptions?sessionId=${sessionId}`);
  return new Set((r.body as InterruptionRecord[]).map((i) => i.id));
}

/** Waits for an interruption record of the session that is not among `before`. */
export function newInterruption(
  rig: HearingRig,
  sessionId: string,
  before: Set<string>,
): Promise<InterruptionRecord> {
  return waitFor(async () => {
    const r = await rig.principal.get(`/api/interruptions?sessionId=${sessionId}`);
    return (r.body as InterruptionRecord[]).find((i) => !before.has(i.id));
  }, 'a new interruption');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ffprobe of a stored segment: its first stream's codec and its duration in seconds. */
export async function probeMedia(path: string): Promise<{ codec: string | undefined; durationS: number }> {
  const { stdout } = await promisify(execFile)('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_name:format=duration',
    '-of',
    'json',
    path,
  ]);
  const info = JSON.parse(stdout) as { streams: { codec_name: string }[]; format: { duration: string } };
  return { codec: info.streams[0]?.codec_name, durationS: Number(info.format.duration) };
}

/** A stored file's streams as sorted `codec,type` lines (e.g. `aac,audio`, `h264,video`). */
export async function streamsOf(path: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'stream=codec_name,codec_type',
    '-of',
    'csv=p=0',
    path,
  ]);
  return stdout.trim().split('\n').sort();
}
