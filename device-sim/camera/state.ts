import { z } from 'zod';

/**
 * Mutable configuration of one simulated camera: what ONVIF Set* operations change and Get*
 * operations report. The video stream itself is the shared test pattern; encoder settings are
 * bookkeeping (a real camera would re-encode, the simulator reports what was set).
 */

export const Resolution = z.object({ width: z.number().int().min(1), height: z.number().int().min(1) });
export type Resolution = z.infer<typeof Resolution>;

export const VideoEncoderConfig = z.object({
  token: z.string(),
  name: z.string(),
  useCount: z.number().int().min(0),
  encoding: z.literal('H264'),
  resolution: Resolution,
  quality: z.number(),
  frameRateLimit: z.number().int(),
  encodingInterval: z.number().int(),
  bitrateLimit: z.number().int(),
  govLength: z.number().int(),
  h264Profile: z.enum(['Baseline', 'Main', 'Extended', 'High']),
  sessionTimeoutS: z.number().int().min(1),
});
export type VideoEncoderConfig = z.infer<typeof VideoEncoderConfig>;

/** What GetVideoEncoderConfigurationOptions offers and SetVideoEncoderConfiguration accepts. */
export const ENCODER_OPTIONS = {
  qualityRange: { min: 1, max: 100 },
  resolutions: [
    { width: 1920, height: 1080 },
    { width: 1280, height: 720 },
    { width: 640, height: 360 },
    { width: 320, height: 180 },
  ],
  govLengthRange: { min: 1, max: 300 },
  frameRateRange: { min: 1, max: 30 },
  encodingIntervalRange: { min: 1, max: 4 },
  bitrateRange: { min: 64, max: 16384 },
  profiles: ['Baseline', 'Main'] as const,
};

export const IrCutFilterMode = z.enum(['ON', 'OFF', 'AUTO']);
export const ImagingSettings = z.object({
  brightness: z.number().min(0).max(100),
  colorSaturation: z.number().min(0).max(100),
  contrast: z.number().min(0).max(100),
  sharpness: z.number().min(0).max(100),
  irCutFilter: IrCutFilterMode,
  wideDynamicRange: z.enum(['ON', 'OFF']),
  whiteBalance: z.enum(['AUTO', 'MANUAL']),
});
export type ImagingSettings = z.infer<typeof ImagingSettings>;

export const IMAGING_RANGE = { min: 0, max: 100 };

export const DateTimeType = z.enum(['Manual', 'NTP']);

export interface DeviceClock {
  type: z.infer<typeof DateTimeType>;
  daylightSavings: boolean;
  /** POSIX TZ string, e.g. `UTC0` or `CET-1CEST,M3.5.0,M10.5.0/3`. */
  tz: string;
  /** Camera clock minus host clock. */
  offsetMs: number;
}

export interface CameraState {
  hostname: string;
  clock: DeviceClock;
  ntpServer: string;
  dnsServer: string;
  gateway: string;
  encoder: VideoEncoderConfig;
  imaging: ImagingSettings;
}

export const PROFILE_TOKEN = 'profile_1';
export const VIDEO_SOURCE_TOKEN = 'video_src_1';
export const VIDEO_SOURCE_CONFIG_TOKEN = 'video_src_cfg_1';
export const VIDEO_ENCODER_TOKEN = 'video_enc_1';

export function initialState(opts: {
  hostname: string;
  clockOffsetMs: number;
  resolution: Resolution;
  fps: number;
}) {
  const state: CameraState = {
    hostname: opts.hostname,
    clock: { type: 'Manual', daylightSavings: false, tz: 'UTC0', offsetMs: opts.clockOffsetMs },
    ntpServer: '127.0.0.1',
    dnsServer: '127.0.0.1',
    gateway: '127.0.0.1',
    encoder: {
      token: VIDEO_ENCODER_TOKEN,
      name: 'MainStream',
      useCount: 1,
      encoding: 'H264',
      resolution: { ...opts.resolution },
      quality: 50,
      frameRateLimit: opts.fps,
      encodingInterval: 1,
      bitrateLimit: 1024,
      govLength: opts.fps,
      h264Profile: 'Baseline',
      sessionTimeoutS: 60,
    },
    imaging: {
      brightness: 50,
      colorSaturation: 50,
      contrast: 50,
      sharpness: 50,
      irCutFilter: 'AUTO',
      wideDynamicRange: 'OFF',
      whiteBalance: 'AUTO',
    },
  };
  return state;
}
