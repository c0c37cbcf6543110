/**
 * The only file that knows node-onvif (unmaintained since 2018; DEPENDENCIES.md). It implements
 * CameraControl with node-onvif's device and media services (request building, WS-UsernameToken
 * PasswordDigest with the camera's clock offset, xml2js conversion), with three changes of ours:
 *
 * 1. Transport guard. node-onvif buffers any answer without limit and parses it with xml2js before
 *    we could look at it; its socket timeout restarts on every byte. Its SOAP module is a singleton
 *    whose `_request(oxaddr, soap)` every service calls, so we install soap-guard.ts there once:
 *    node-onvif only ever parses answers that are bounded, DTD-free, well-formed SOAP 1.2 with
 *    the expected response element, and our typed errors (CAMERA_AUTH for NotAuthorized, which
 *    node-onvif would surface as "[object Object]") pass through its promise chains unchanged.
 *    Limits are per connection (a symbol on each service's parsed xaddr), not global.
 * 2. Every value node-onvif hands back is validated with zod before use.
 * 3. Discovery and snapshots are ours (ws-discovery.ts, http-get.ts): node-onvif's probe cannot
 *    pick the interface and is a singleton; its snapshot fetch has no limits.
 */
import { createRequire } from 'node:module';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import type { AudioMode } from '../recording/ffmpeg-args.js';
import { scrub } from '../scrub.js';
import {
  type CameraConnection,
  type CameraControl,
  CameraInfo,
  type CameraTarget,
  CameraTarget as CameraTargetSchema,
  type ClockReading,
  DeviceInfo,
  type DiscoveredCamera,
  HttpUrl,
  type MediaProfile,
  RtspUrl,
} from './control.js';
import { authGet } from './http-get.js';
import { DEFAULT_SOAP_LIMITS, guardedSoapCall, type SoapLimits } from './soap-guard.js';
import { probe } from './ws-discovery.js';

// --- the slice of node-onvif we use (it ships no types) ---------------------------------------
interface OnvifAnswer {
  /** The SOAP Body, converted by xml2js (prefixes stripped, text+attributes as {_, $}). */
  data: Record<string, unknown>;
}
interface ParsedXaddr {
  protocol: string;
  hostname: string;
  port: string | null;
  pathname: string;
  [LIMITS]?: SoapLimits;
}
interface ServiceDevice {
  oxaddr: ParsedXaddr;
  time_diff: number;
  getSystemDateAndTime(): Promise<OnvifAnswer>;
  getCapabilities(): Promise<OnvifAnswer>;
  getDeviceInformation(): Promise<OnvifAnswer>;
  setSystemDateAndTime(p: {
    DateTimeType: 'Manual';
    DaylightSavings: boolean;
    UTCDateTime: Date;
  }): Promise<OnvifAnswer>;
}
interface ServiceMedia {
  oxaddr: ParsedXaddr;
  getProfiles(): Promise<OnvifAnswer>;
  getStreamUri(p: { ProfileToken: string; Protocol: 'UDP' | 'HTTP' | 'RTSP' }): Promise<OnvifAnswer>;
  getSnapshotUri(p: { ProfileToken: string }): Promise<OnvifAnswer>;
}
interface SoapModule {
  _request(oxaddr: ParsedXaddr, soap: string): Promise<string>;
  [GUARDED]?: true;
}

const LIMITS = Symbol.for('gateway.cameras.soapLimits');
const GUARDED = Symbol.for('gateway.cameras.soapGuarded');
const require = createRequire(import.meta.url);
const OnvifServiceDevice = require('node-onvif/lib/modules/service-device.js') as new (p: {
  xaddr: string;
  user: string;
  pass: string;
}) => ServiceDevice;
const OnvifServiceMedia = require('node-onvif/lib/modules/service-media.js') as new (p: {
  xaddr: string;
  user: string;
  pass: string;
  time_diff: number;
}) => ServiceMedia;
const onvifSoap = require('node-onvif/lib/modules/soap.js') as SoapModule;

/** Idempotent: replaces node-onvif's unbounded HTTP exchange with the guarded one. */
function installGuard(): void {
  if (onvifSoap[GUARDED]) return;
  onvifSoap._request = (oxaddr, soap) => {
    const url = new URL(`${oxaddr.protocol}//${oxaddr.hostname}${oxaddr.port ? `:${oxaddr.port}` : ''}`);
    url.pathname = oxaddr.pathname;
    return guardedSoapCall(url, soap, oxaddr[LIMITS] ?? DEFAULT_SOAP_LIMITS);
  };
  onvifSoap[GUARDED] = true;
}

// --- zod views of node-onvif's xml2js output -------------------------------------------------
/** xml2js gives text as a string, or {_: text, $: attrs} when the element has attributes. */
const XText = z.union([z.string(), z.object({ _: z.string() }).transform((o) => o._)]);
const XOptText = z.union([XText, z.object({}).transform(() => '')]).optional();
const XInt = XText.pipe(
  z
    .string()
    .regex(/^\s*\d{1,9}\s*$/)
    .transform(Number),
);
const one = <T extends z.ZodType>(t: T) =>
  z.union([t, z.array(t).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

const DateTimeAnswer = z.object({
  GetSystemDateAndTimeResponse: z.object({
    SystemDateAndTime: z.object({
      UTCDateTime: z.object({
        Date: z.object({ Year: XInt, Month: XInt, Day: XInt }),
        Time: z.object({ Hour: XInt, Minute: XInt, Second: XInt }),
      }),
    }),
  }),
});

const CapabilitiesAnswer = z.object({
  GetCapabilitiesResponse: z.object({
    Capabilities: z.object({ Media: z.object({ XAddr: XText.pipe(HttpUrl) }) }),
  }),
});

const InfoAnswer = z.object({
  GetDeviceInformationResponse: z.object({
    Manufacturer: XOptText,
    Model: XOptText,
    FirmwareVersion: XOptText,
    SerialNumber: XOptText,
    HardwareId: XOptText,
  }),
});

const ProfileXml = z.object({
  $: z.object({ token: z.string().min(1).max(64) }),
  Name: XOptText,
  VideoEncoderConfiguration: z
    .object({
      Encoding: XOptText,
      Resolution: z.object({ Width: XInt, Height: XInt }).optional(),
      RateControl: z.object({ FrameRateLimit: XInt.optional() }).optional(),
    })
    .optional(),
  AudioEncoderConfiguration: z.object({ Encoding: XOptText }).optional(),
});
const ProfilesAnswer = z.object({ GetProfilesResponse: z.object({ Profiles: one(ProfileXml) }) });

const UriAnswer = (op: 'GetStreamUriResponse' | 'GetSnapshotUriResponse') =>
  z.object({ [op]: z.object({ MediaUri: z.object({ Uri: XText }) }) });

function validate<T>(schema: z.ZodType<T>, answer: OnvifAnswer, host: string, what: string): T {
  const r = schema.safeParse(answer.data);
  if (!r.success) {
    const why = r.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.')}: ${i.message}`)
      .join('; ');
    throw new GatewayError('CAMERA_BAD_RESPONSE', `${host}: unexpected ${what} answer (${why})`, { host });
  }
  return r.data;
}

/** Errors from node-onvif itself (not our guard) become typed errors too. */
function typed(err: unknown, host: string, what: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new GatewayError('CAMERA_BAD_RESPONSE', `${host}: ${what} failed: ${msg.slice(0, 200)}`, { host });
}

async function call<T>(host: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw typed(err, host, what);
  }
}

/**
 * A camera that reports addresses for another host (NAT, a second interface) is still reached at
 * the address we were given: keep the reported port and path, use our host (node-onvif's keepAddr).
 */
function onOurHost(reported: string, ourHost: string, log: Logger): string {
  const u = new URL(reported);
  if (u.hostname === ourHost) return reported;
  log.warn({ reported: u.host, using: ourHost }, 'camera reported another host; using the one we know');
  u.hostname = ourHost;
  return u.toString();
}

function audioModeOf(encoding: string | null): AudioMode {
  if (!encoding) return 'none';
  return /^(AAC|MP4A|MPEG4-GENERIC)$/i.test(encoding) ? 'copy' : 'aac';
}

export interface OnvifNodeAdapterOptions {
  log: Logger;
  limits?: Partial<SoapLimits>;
  /** Snapshot answers may be larger than SOAP ones. */
  snapshotMaxBytes?: number;
  /** Interface for WS-Discovery (127.0.0.1 on loopback). */
  discoveryInterface?: string;
}

export class OnvifNodeAdapter implements CameraControl {
  readonly #log: Logger;
  readonly #limits: SoapLimits;
  readonly #snapshotLimits: SoapLimits;
  readonly #iface: string | undefined;

  constructor(opts: OnvifNodeAdapterOptions) {
    installGuard();
    this.#log = opts.log;
    this.#limits = { ...DEFAULT_SOAP_LIMITS, ...opts.limits };
    this.#snapshotLimits = { ...this.#limits, maxBytes: opts.snapshotMaxBytes ?? 8 * 1024 * 1024 };
    this.#iface = opts.discoveryInterface;
  }

  discover(timeoutMs: number): Promise<DiscoveredCamera[]> {
    return probe({ timeoutMs, interfaceAddress: this.#iface, log: this.#log });
  }

  async connect(input: CameraTarget): Promise<CameraConnection> {
    const parsed = CameraTargetSchema.safeParse(input);
    if (!parsed.success)
      throw new GatewayError('BAD_REQUEST', `camera target: ${parsed.error.issues[0]?.message}`);
    const target = parsed.data;
    const host = new URL(target.xaddr).hostname;
    const log = this.#log.child({ camera: target.xaddr });
    const device = new OnvifServiceDevice({ xaddr: target.xaddr, user: target.user, pass: target.password });
    device.oxaddr[LIMITS] = this.#limits;

    const clock = await readClock(device, host);
    const caps = validate(
      CapabilitiesAnswer,
      await call(host, 'GetCapabilities', () => device.getCapabilities()),
      host,
      'GetCapabilities',
    );
    const info = validate(
      InfoAnswer,
      await call(host, 'GetDeviceInformation', () => device.getDeviceInformation()),
      host,
      'GetDeviceInformation',
    ).GetDeviceInformationResponse;
    const mediaXaddr = onOurHost(caps.GetCapabilitiesResponse.Capabilities.Media.XAddr, host, log);
    const media = new OnvifServiceMedia({
      xaddr: mediaXaddr,
      user: target.user,
      pass: target.password,
      time_diff: device.time_diff,
    });
    media.oxaddr[LIMITS] = this.#limits;

    const profiles = validate(
      ProfilesAnswer,
      await call(host, 'GetProfiles', () => media.getProfiles()),
      host,
      'GetProfiles',
    ).GetProfilesResponse.Profiles.map(
      (p): MediaProfile => ({
        token: p.$.token,
        name: p.Name ?? '',
        videoEncoding: p.VideoEncoderConfiguration?.Encoding || null,
        width: p.VideoEncoderConfiguration?.Resolution?.Width ?? null,
        height: p.VideoEncoderConfiguration?.Resolution?.Height ?? null,
        fps: p.VideoEncoderConfiguration?.RateControl?.FrameRateLimit ?? null,
        audioEncoding: p.AudioEncoderConfiguration?.Encoding || null,
      }),
    );
    // Record the largest H.264 profile (hearings want detail); any video profile if none is H.264.
    const video = profiles.filter((p) => p.videoEncoding);
    const h264 = video.filter((p) => /^H\.?264$/i.test(p.videoEncoding ?? ''));
    const pool = h264.length ? h264 : video.length ? video : profiles;
    const profile = [...pool].sort(
      (a, b) => (b.width ?? 0) * (b.height ?? 0) - (a.width ?? 0) * (a.height ?? 0),
    )[0];
    if (!profile) throw new GatewayError('CAMERA_BAD_RESPONSE', `${host}: no media profile`, { host });

    // RTSP = RTP interleaved over the RTSP TCP connection; plain UDP only if that is all there is.
    let transport: 'tcp' | 'udp' = 'tcp';
    let streamUri: string;
    try {
      streamUri = await streamUriOf(media, profile.token, 'RTSP', host);
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'CAMERA_AUTH') throw err;
      log.warn({ err: scrub(err, { secrets: [target.password] }) }, 'no RTSP-over-TCP stream; trying UDP');
      streamUri = await streamUriOf(media, profile.token, 'UDP', host);
      transport = 'udp';
    }
    // Kept as the camera says: encoders, proxies and NVRs serve RTSP from another host. A camera
    // behind address translation that names an unreachable one gets a per-camera `streamUri`.
    if (new URL(streamUri).hostname !== host)
      log.info({ reported: new URL(streamUri).host, onvif: host }, 'stream served from another host');

    let snapshotUri: string | null = null;
    try {
      const a = validate(
        UriAnswer('GetSnapshotUriResponse'),
        await call(host, 'GetSnapshotUri', () => media.getSnapshotUri({ ProfileToken: profile.token })),
        host,
        'GetSnapshotUri',
      ) as { GetSnapshotUriResponse: { MediaUri: { Uri: string } } };
      const uri = HttpUrl.safeParse(a.GetSnapshotUriResponse.MediaUri.Uri);
      if (uri.success) snapshotUri = onOurHost(uri.data, host, log);
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'CAMERA_AUTH') throw err;
      log.info({ err: scrub(err, { secrets: [target.password] }) }, 'camera has no snapshot URI');
    }

    const camInfo = CameraInfo.parse({
      device: DeviceInfo.parse({
        manufacturer: info.Manufacturer ?? '',
        model: info.Model ?? '',
        firmwareVersion: info.FirmwareVersion ?? '',
        serialNumber: info.SerialNumber ?? '',
        hardwareId: info.HardwareId ?? '',
      }),
      profiles,
      profileToken: profile.token,
      streamUri,
      transport,
      audio: audioModeOf(profile.audioEncoding),
      snapshotUri,
      clockOffsetMs: clock.offsetMs,
    });
    const snapshotLimits = this.#snapshotLimits;
    return {
      target,
      info: camInfo,
      readClock: () => readClock(device, host),
      async getSnapshot() {
        if (!camInfo.snapshotUri) throw new GatewayError('CAMERA_BAD_RESPONSE', `${host} offers no snapshot`);
        const a = await authGet(new URL(camInfo.snapshotUri), target, snapshotLimits);
        if (a.status !== 200)
          throw new GatewayError('CAMERA_BAD_RESPONSE', `${host}: snapshot HTTP ${a.status}`);
        if (a.body.length < 4 || a.body[0] !== 0xff || a.body[1] !== 0xd8) {
          throw new GatewayError('CAMERA_BAD_RESPONSE', `${host}: snapshot is not a JPEG`, { host });
        }
        return a.body;
      },
      async setSystemDateAndTime() {
        // ONVIF carries whole seconds: send on a second boundary so the camera is set to within ms.
        await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
        await call(host, 'SetSystemDateAndTime', () =>
          device.setSystemDateAndTime({
            DateTimeType: 'Manual',
            DaylightSavings: false,
            UTCDateTime: new Date(),
          }),
        );
        return readClock(device, host);
      },
    };
  }
}

async function streamUriOf(media: ServiceMedia, token: string, protocol: 'RTSP' | 'UDP', host: string) {
  const a = validate(
    UriAnswer('GetStreamUriResponse'),
    await call(host, 'GetStreamUri', () => media.getStreamUri({ ProfileToken: token, Protocol: protocol })),
    host,
    'GetStreamUri',
  ) as { GetStreamUriResponse: { MediaUri: { Uri: string } } };
  const uri = RtspUrl.safeParse(a.GetStreamUriResponse.MediaUri.Uri);
  if (!uri.success)
    throw new GatewayError('CAMERA_BAD_RESPONSE', `${host}: stream URI is not rtsp://`, { host });
  return uri.data;
}

/** GetSystemDateAndTime; offset against the midpoint of the round trip. */
async function readClock(device: ServiceDevice, host: string): Promise<ClockReading> {
  const t0 = Date.now();
  const answer = await call(host, 'GetSystemDateAndTime', () => device.getSystemDateAndTime());
  const t1 = Date.now();
  const dt = validate(DateTimeAnswer, answer, host, 'GetSystemDateAndTime').GetSystemDateAndTimeResponse
    .SystemDateAndTime.UTCDateTime;
  const cam = Date.UTC(
    dt.Date.Year,
    dt.Date.Month - 1,
    dt.Date.Day,
    dt.Time.Hour,
    dt.Time.Minute,
    dt.Time.Second,
  );
  if (!Number.isFinite(cam)) throw new GatewayError('CAMERA_BAD_RESPONSE', `${host}: invalid camera date`);
  // The camera reports whole seconds: its true time lies in [cam, cam + 1000); take the middle.
  const offsetMs = cam + 500 - (t0 + t1) / 2;
  // node-onvif signs later requests with Created = now + time_diff.
  device.time_diff = Math.round(offsetMs);
  return { offsetMs: Math.round(offsetMs), rttMs: t1 - t0 };
}
