import { NS } from './namespaces.js';
import { el, type OnvifContext, type OperationHandler, range, tx } from './onvif-context.js';
import { faults } from './soap.js';
import {
  ENCODER_OPTIONS,
  PROFILE_TOKEN,
  VIDEO_SOURCE_CONFIG_TOKEN,
  VIDEO_SOURCE_TOKEN,
  type VideoEncoderConfig,
} from './state.js';
import { attr, child, childText, type XmlElement } from './xml.js';

/** Media service (ONVIF Media Service Specification, trt). One fixed profile, one H.264 encoder. */

function encoderConfig(tag: string, c: VideoEncoderConfig): string {
  return el(
    tag,
    tx('tt:Name', c.name) +
      tx('tt:UseCount', c.useCount) +
      tx('tt:Encoding', c.encoding) +
      el('tt:Resolution', tx('tt:Width', c.resolution.width) + tx('tt:Height', c.resolution.height)) +
      tx('tt:Quality', c.quality) +
      el(
        'tt:RateControl',
        tx('tt:FrameRateLimit', c.frameRateLimit) +
          tx('tt:EncodingInterval', c.encodingInterval) +
          tx('tt:BitrateLimit', c.bitrateLimit),
      ) +
      el('tt:H264', tx('tt:GovLength', c.govLength) + tx('tt:H264Profile', c.h264Profile)) +
      el(
        'tt:Multicast',
        el('tt:Address', tx('tt:Type', 'IPv4') + tx('tt:IPv4Address', '0.0.0.0')) +
          tx('tt:Port', 0) +
          tx('tt:TTL', 1) +
          tx('tt:AutoStart', false),
      ) +
      tx('tt:SessionTimeout', `PT${c.sessionTimeoutS}S`),
    { token: c.token },
  );
}

function profile(tag: string, ctx: OnvifContext): string {
  const { width, height } = ctx.source;
  return el(
    tag,
    tx('tt:Name', 'MainStream') +
      el(
        'tt:VideoSourceConfiguration',
        tx('tt:Name', 'VideoSourceConfig') +
          tx('tt:UseCount', 1) +
          tx('tt:SourceToken', VIDEO_SOURCE_TOKEN) +
          el('tt:Bounds', '', { x: 0, y: 0, width, height }),
        { token: VIDEO_SOURCE_CONFIG_TOKEN },
      ) +
      encoderConfig('tt:VideoEncoderConfiguration', ctx.state.encoder),
    { token: PROFILE_TOKEN, fixed: true },
  );
}

function requireProfile(op: XmlElement): void {
  const token = childText(op, NS.trt, 'ProfileToken');
  if (token !== PROFILE_TOKEN) throw faults.invalidArgVal('NoProfile', `no profile "${token ?? ''}"`);
}

function requireEncoderToken(token: string | undefined, ctx: OnvifContext): void {
  if (token !== ctx.state.encoder.token)
    throw faults.invalidArgVal('NoConfig', `no configuration "${token ?? ''}"`);
}

function mediaUri(tag: string, uri: string): string {
  return el(
    tag,
    el(
      'trt:MediaUri',
      tx('tt:Uri', uri) +
        tx('tt:InvalidAfterConnect', false) +
        tx('tt:InvalidAfterReboot', false) +
        tx('tt:Timeout', 'PT0S'),
    ),
  );
}

function getStreamUri(op: XmlElement, ctx: OnvifContext): string {
  requireProfile(op);
  const setup = child(op, NS.trt, 'StreamSetup');
  const stream = childText(setup, NS.tt, 'Stream');
  const protocol = childText(child(setup, NS.tt, 'Transport'), NS.tt, 'Protocol');
  // RTP over RTSP-over-HTTP tunnelling and multicast are not offered (GetCapabilities says so).
  if (stream !== 'RTP-Unicast' || !['UDP', 'TCP', 'RTSP'].includes(protocol ?? '')) {
    throw faults.invalidArgVal('InvalidStreamSetup', `unsupported stream setup ${stream}/${protocol}`);
  }
  return mediaUri('trt:GetStreamUriResponse', ctx.streamUri);
}

function getSnapshotUri(op: XmlElement, ctx: OnvifContext): string {
  requireProfile(op);
  return mediaUri('trt:GetSnapshotUriResponse', ctx.snapshotUri);
}

function parseDurationS(s: string | undefined): number | undefined {
  const m = s === undefined ? null : /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.\d+)?S)?$/.exec(s);
  if (!m || s === 'PT') return undefined;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

function num(el_: XmlElement | undefined, ns: string, local: string): number | undefined {
  const t = childText(el_, ns, local);
  if (t === undefined) return undefined;
  const n = Number(t);
  if (t === '' || !Number.isFinite(n)) throw faults.invalidArgVal('ConfigModify', `${local} is not a number`);
  return n;
}

function inRange(v: number | undefined, r: { min: number; max: number }, what: string): void {
  if (v !== undefined && (v < r.min || v > r.max || (what !== 'Quality' && !Number.isInteger(v)))) {
    throw faults.invalidArgVal('ConfigModify', `${what} ${v} outside ${r.min}..${r.max}`);
  }
}

function setVideoEncoderConfiguration(op: XmlElement, ctx: OnvifContext): string {
  const cfg = child(op, NS.trt, 'Configuration');
  if (!cfg) throw faults.invalidArgs('Configuration is required');
  requireEncoderToken(attr(cfg, 'token'), ctx);
  const encoding = childText(cfg, NS.tt, 'Encoding');
  if (encoding !== undefined && encoding !== 'H264') {
    throw faults.invalidArgVal('ConfigModify', `encoding ${encoding} not supported`);
  }
  const res = child(cfg, NS.tt, 'Resolution');
  const width = num(res, NS.tt, 'Width');
  const height = num(res, NS.tt, 'Height');
  if (res && !ENCODER_OPTIONS.resolutions.some((r) => r.width === width && r.height === height)) {
    throw faults.invalidArgVal('ConfigModify', `resolution ${width}x${height} not offered`);
  }
  const quality = num(cfg, NS.tt, 'Quality');
  inRange(quality, ENCODER_OPTIONS.qualityRange, 'Quality');
  const rc = child(cfg, NS.tt, 'RateControl');
  const fps = num(rc, NS.tt, 'FrameRateLimit');
  const interval = num(rc, NS.tt, 'EncodingInterval');
  const bitrate = num(rc, NS.tt, 'BitrateLimit');
  inRange(fps, ENCODER_OPTIONS.frameRateRange, 'FrameRateLimit');
  inRange(interval, ENCODER_OPTIONS.encodingIntervalRange, 'EncodingInterval');
  inRange(bitrate, ENCODER_OPTIONS.bitrateRange, 'BitrateLimit');
  const h264 = child(cfg, NS.tt, 'H264');
  const gov = num(h264, NS.tt, 'GovLength');
  inRange(gov, ENCODER_OPTIONS.govLengthRange, 'GovLength');
  const h264Profile = childText(h264, NS.tt, 'H264Profile');
  if (h264Profile !== undefined && !(ENCODER_OPTIONS.profiles as readonly string[]).includes(h264Profile)) {
    throw faults.invalidArgVal('ConfigModify', `H264Profile ${h264Profile} not offered`);
  }
  const timeoutText = childText(cfg, NS.tt, 'SessionTimeout');
  const timeout = parseDurationS(timeoutText);
  if (timeoutText !== undefined && (timeout === undefined || timeout < 1)) {
    throw faults.invalidArgVal('ConfigModify', `SessionTimeout ${timeoutText}`);
  }
  const cur = ctx.state.encoder;
  ctx.state.encoder = {
    ...cur,
    name: childText(cfg, NS.tt, 'Name') || cur.name,
    resolution: res ? { width: width!, height: height! } : cur.resolution,
    quality: quality ?? cur.quality,
    frameRateLimit: fps ?? cur.frameRateLimit,
    encodingInterval: interval ?? cur.encodingInterval,
    bitrateLimit: bitrate ?? cur.bitrateLimit,
    govLength: gov ?? cur.govLength,
    h264Profile: (h264Profile as VideoEncoderConfig['h264Profile'] | undefined) ?? cur.h264Profile,
    sessionTimeoutS: timeout ?? cur.sessionTimeoutS,
  };
  return el('trt:SetVideoEncoderConfigurationResponse');
}

function encoderOptions(): string {
  const o = ENCODER_OPTIONS;
  const resolutions = o.resolutions
    .map((r) => el('tt:ResolutionsAvailable', tx('tt:Width', r.width) + tx('tt:Height', r.height)))
    .join('');
  const h264 =
    resolutions +
    range('tt:GovLengthRange', o.govLengthRange) +
    range('tt:FrameRateRange', o.frameRateRange) +
    range('tt:EncodingIntervalRange', o.encodingIntervalRange) +
    o.profiles.map((p) => tx('tt:H264ProfilesSupported', p)).join('');
  return el(
    'trt:Options',
    range('tt:QualityRange', o.qualityRange) +
      el('tt:H264', h264) +
      el('tt:Extension', el('tt:H264', h264 + range('tt:BitrateRange', o.bitrateRange))),
  );
}

export const mediaOperations: Record<string, OperationHandler> = {
  GetProfiles: (_op, ctx) => el('trt:GetProfilesResponse', profile('trt:Profiles', ctx)),
  GetProfile: (op, ctx) => {
    requireProfile(op);
    return el('trt:GetProfileResponse', profile('trt:Profile', ctx));
  },
  GetVideoSources: (_op, ctx) =>
    el(
      'trt:GetVideoSourcesResponse',
      el(
        'trt:VideoSources',
        tx('tt:Framerate', ctx.source.fps) +
          el('tt:Resolution', tx('tt:Width', ctx.source.width) + tx('tt:Height', ctx.source.height)),
        { token: VIDEO_SOURCE_TOKEN },
      ),
    ),
  GetVideoEncoderConfigurations: (_op, ctx) =>
    el('trt:GetVideoEncoderConfigurationsResponse', encoderConfig('trt:Configurations', ctx.state.encoder)),
  GetVideoEncoderConfiguration: (op, ctx) => {
    requireEncoderToken(childText(op, NS.trt, 'ConfigurationToken'), ctx);
    return el(
      'trt:GetVideoEncoderConfigurationResponse',
      encoderConfig('trt:Configuration', ctx.state.encoder),
    );
  },
  GetVideoEncoderConfigurationOptions: (op, ctx) => {
    const cfgToken = childText(op, NS.trt, 'ConfigurationToken');
    if (cfgToken !== undefined) requireEncoderToken(cfgToken, ctx);
    if (child(op, NS.trt, 'ProfileToken')) requireProfile(op);
    return el('trt:GetVideoEncoderConfigurationOptionsResponse', encoderOptions());
  },
  SetVideoEncoderConfiguration: setVideoEncoderConfiguration,
  GetStreamUri: getStreamUri,
  GetSnapshotUri: getSnapshotUri,
};
