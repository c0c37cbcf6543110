import type { Logger } from 'pino';
import { AudioSource } from './audio-source.js';
import { H264Source, type H264SourceOptions } from './h264-source.js';
import { SimCamera, type SimCameraOptionsInput } from './sim-camera.js';

export interface CameraFleetOptions {
  /** Last octet of the first camera's address: cameras get 127.0.0.<first>, <first+1>, ... (default 2). */
  firstOctet?: number;
  /** Options for every camera; `address`, `name`, `location` are filled per camera unless `perCamera` sets them. */
  common?: Omit<SimCameraOptionsInput, 'address'>;
  perCamera?: (index: number) => Partial<SimCameraOptionsInput>;
  /** One encoder for all cameras (default true): 16 cameras cost one ffmpeg. */
  sharedSource?: boolean;
  sourceOptions?: H264SourceOptions;
  logger?: Logger;
}

export interface CameraFleet {
  readonly cameras: readonly SimCamera[];
  /** The shared encoder, when there is one. */
  readonly source: H264Source | undefined;
  stop(): Promise<void>;
}

/** Starts `n` cameras on 127.0.0.2..n+1 (all route to `lo` on Linux). */
export async function startCameras(n: number, opts: CameraFleetOptions = {}): Promise<CameraFleet> {
  const first = opts.firstOctet ?? 2;
  if (!Number.isInteger(n) || n < 1 || first < 1 || first + n - 1 > 254) {
    throw new RangeError(`cannot place ${n} cameras from 127.0.0.${first}`);
  }
  const shared = opts.sharedSource ?? true;
  const source = shared ? new H264Source({ logger: opts.logger, ...opts.sourceOptions }) : undefined;
  // One microphone for all, like the encoder, when every camera has the same audio.
  const codec = opts.common?.audio;
  const audio = shared && codec && codec !== 'none' && !opts.perCamera ? new AudioSource(codec) : undefined;
  const cameras: SimCamera[] = [];
  const fleet: CameraFleet = {
    cameras,
    source,
    async stop() {
      await Promise.allSettled(cameras.map((c) => c.stop()));
      await source?.stop();
      await audio?.stop();
    },
  };
  try {
    if (source) await source.start();
    audio?.start();
    for (let i = 0; i < n; i++) {
      const cam = new SimCamera(
        {
          name: `Hearing Room ${i + 1}`,
          location: `room-${i + 1}`,
          ...opts.common,
          address: `127.0.0.${first + i}`,
          ...opts.perCamera?.(i),
        },
        { source, sourceOptions: opts.sourceOptions, audioSource: audio, logger: opts.logger },
      );
      cameras.push(cam);
    }
    await Promise.all(cameras.map((c) => c.start()));
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return fleet;
}
