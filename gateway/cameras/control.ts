/**
 * CameraControl: our contract with hearing-room cameras (node-serialport style: the registry and
 * the recorder talk to this; onvif-node-adapter.ts is the ONVIF implementation, a test may bring
 * another). Everything a camera tells us is validated by these schemas before we use it.
 */
import { z } from 'zod';
import { AudioMode, StreamTransport } from '../recording/ffmpeg-args.js';

/** Credentials go into WS-Security XML and RTSP URLs: printable ASCII without markup characters. */
export const CameraUser = z
  .string()
  .max(64)
  .regex(/^[\x21-\x7e]*$/, 'printable ASCII without spaces')
  .refine((s) => !/[<>&"']/.test(s), 'must not contain < > & " \'');
export const CameraPassword = z
  .string()
  .max(128)
  .regex(/^[\x20-\x7e]*$/, 'printable ASCII')
  .refine((s) => !/[<>&]/.test(s), 'must not contain < > &');

export const HttpUrl = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'an http(s) URL');

export const RtspUrl = z
  .string()
  .max(2048)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'rtsp:' || u.protocol === 'rtsps:') && u.hostname !== '';
    } catch {
      return false;
    }
  }, 'an rtsp(s) URL');

/** A stream URL given by hand (config or API): rtsp(s), never with credentials in it. */
export const StreamUriOverride = RtspUrl.refine((s) => {
  const u = new URL(s);
  return u.username === '' && u.password === '';
}, 'no credentials in the URL: they are the camera user and password');

export const CameraTarget = z.object({
  xaddr: HttpUrl,
  user: CameraUser,
  password: CameraPassword,
});
export type CameraTarget = z.infer<typeof CameraTarget>;

export const DiscoveredCamera = z.object({
  /** WS-Discovery endpoint reference (`urn:uuid:...`): stable across reboots and readdressing. */
  urn: z.string().min(1).max(256),
  /** Device service address to connect to. */
  xaddr: HttpUrl,
  xaddrs: z.array(HttpUrl),
  scopes: z.array(z.string().max(512)).max(64),
  name: z.string().max(128),
  hardware: z.string().max(128),
  location: z.string().max(128),
  /** Where the answer came from (IPv4). */
  address: z.string(),
});
export type DiscoveredCamera = z.infer<typeof DiscoveredCamera>;

export const DeviceInfo = z.object({
  manufacturer: z.string().max(128),
  model: z.string().max(128),
  firmwareVersion: z.string().max(128),
  serialNumber: z.string().max(128),
  hardwareId: z.string().max(128),
});
export type DeviceInfo = z.infer<typeof DeviceInfo>;

export const MediaProfile = z.object({
  token: z.string().min(1).max(64),
  name: z.string().max(128),
  videoEncoding: z.string().max(32).nullable(),
  width: z.number().int().min(0).nullable(),
  height: z.number().int().min(0).nullable(),
  fps: z.number().min(0).nullable(),
  audioEncoding: z.string().max(32).nullable(),
});
export type MediaProfile = z.infer<typeof MediaProfile>;

export const CameraInfo = z.object({
  device: DeviceInfo,
  profiles: z.array(MediaProfile),
  /** The profile we record. */
  profileToken: z.string(),
  /** Stream URI without credentials. */
  streamUri: RtspUrl,
  /** tcp = RTP interleaved in the RTSP connection; udp only when the camera offers nothing else. */
  transport: StreamTransport,
  audio: AudioMode,
  snapshotUri: HttpUrl.nullable(),
  /** Camera clock minus gateway clock (ONVIF gives whole seconds, so about ±500 ms). */
  clockOffsetMs: z.number(),
});
export type CameraInfo = z.infer<typeof CameraInfo>;

export interface ClockReading {
  offsetMs: number;
  /** Round trip of the GetSystemDateAndTime call. */
  rttMs: number;
}

export interface CameraConnection {
  readonly target: CameraTarget;
  readonly info: CameraInfo;
  /** Reads the camera clock: reachability and clock offset (health poll). */
  readClock(): Promise<ClockReading>;
  /** One JPEG from the camera's snapshot URI. */
  getSnapshot(): Promise<Buffer>;
  /** Sets the camera clock to the gateway's (UTC, manual); returns the offset measured after. */
  setSystemDateAndTime(): Promise<ClockReading>;
}

export interface CameraControl {
  /** WS-Discovery probe for NetworkVideoTransmitters; answers for `timeoutMs`. */
  discover(timeoutMs: number): Promise<DiscoveredCamera[]>;
  /** Authenticates, reads device info, profiles, stream and snapshot URIs and the clock. */
  connect(target: CameraTarget): Promise<CameraConnection>;
}
