import { createRequire } from 'node:module';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUGE_SOAP_BYTES, SimCamera } from '../../device-sim/camera/index.js';
import { faultSubcodes, NSDECL, post, soap } from './helpers.js';

const require = createRequire(import.meta.url);
// node-onvif is CommonJS without types; only what the tests touch is typed here.
const onvif = require('node-onvif') as {
  OnvifDevice: new (p: {
    xaddr: string;
    user: string;
    pass: string;
  }) => {
    init(): Promise<Record<string, string>>;
    getCurrentProfile(): {
      token: string;
      stream: { rtsp: string };
      snapshot: string;
      video: { encoder: { resolution: { width: number } } };
    };
    fetchSnapshot(): Promise<{ headers: Record<string, string>; body: Buffer }>;
  };
};

const USER = 'operator';
const PASS = 'hearing-2026';
const auth = { user: USER, password: PASS };

// One camera, small picture; a second with its clock an hour ahead shares the first one's encoder.
let cam: SimCamera;
let skewed: SimCamera;
let device: string;
let media: string;
let imaging: string;

beforeAll(async () => {
  cam = new SimCamera(
    {
      address: '127.0.0.21',
      user: USER,
      password: PASS,
      name: 'Room 7',
      location: 'Floor 2',
      discovery: false,
    },
    { sourceOptions: { width: 320, height: 180, fps: 10 } },
  );
  await cam.start();
  skewed = new SimCamera(
    { address: '127.0.0.22', user: USER, password: PASS, clockOffsetMs: 3_600_000, discovery: false },
    { source: cam.source },
  );
  await skewed.start();
  device = cam.xaddr;
  media = device.replace('device_service', 'media_service');
  imaging = device.replace('device_service', 'imaging_service');
});

afterAll(async () => {
  await skewed?.stop();
  await cam?.stop();
});

describe('every operation answers a well-formed SOAP 1.2 response', () => {
  const ops: [service: () => string, request: string, response: string][] = [
    [() => device, '<tds:GetSystemDateAndTime/>', 'tds:GetSystemDateAndTimeResponse'],
    [() => device, '<tds:GetHostname/>', 'tds:GetHostnameResponse'],
    [() => device, '<tds:GetDeviceInformation/>', 'tds:GetDeviceInformationResponse'],
    [
      () => device,
      '<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>',
      'tds:GetCapabilitiesResponse',
    ],
    [
      () => device,
      '<tds:GetServices><tds:IncludeCapability>true</tds:IncludeCapability></tds:GetServices>',
      'tds:GetServicesResponse',
    ],
    [() => device, '<tds:GetScopes/>', 'tds:GetScopesResponse'],
    [() => device, '<tds:GetNTP/>', 'tds:GetNTPResponse'],
    [() => device, '<tds:GetNetworkInterfaces/>', 'tds:GetNetworkInterfacesResponse'],
    [() => device, '<tds:GetNetworkDefaultGateway/>', 'tds:GetNetworkDefaultGatewayResponse'],
    [() => device, '<tds:GetDNS/>', 'tds:GetDNSResponse'],
    [() => media, '<trt:GetProfiles/>', 'trt:GetProfilesResponse'],
    [
      () => media,
      '<trt:GetProfile><trt:ProfileToken>profile_1</trt:ProfileToken></trt:GetProfile>',
      'trt:GetProfileResponse',
    ],
    [() => media, '<trt:GetVideoSources/>', 'trt:GetVideoSourcesResponse'],
    [() => media, '<trt:GetVideoEncoderConfigurations/>', 'trt:GetVideoEncoderConfigurationsResponse'],
    [
      () => media,
      '<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>video_enc_1</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>',
      'trt:GetVideoEncoderConfigurationResponse',
    ],
    [
      () => media,
      '<trt:GetVideoEncoderConfigurationOptions><trt:ConfigurationToken>video_enc_1</trt:ConfigurationToken></trt:GetVideoEncoderConfigurationOptions>',
      'trt:GetVideoEncoderConfigurationOptionsResponse',
    ],
    [
      () => media,
      '<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>profile_1</trt:ProfileToken></trt:GetStreamUri>',
      'trt:GetStreamUriResponse',
    ],
    [
      () => media,
      '<trt:GetSnapshotUri><trt:ProfileToken>profile_1</trt:ProfileToken></trt:GetSnapshotUri>',
      'trt:GetSnapshotUriResponse',
    ],
    [
      () => imaging,
      '<timg:GetImagingSettings><timg:VideoSourceToken>video_src_1</timg:VideoSourceToken></timg:GetImagingSettings>',
      'timg:GetImagingSettingsResponse',
    ],
    [
      () => imaging,
      '<timg:GetOptions><timg:VideoSourceToken>video_src_1</timg:VideoSourceToken></timg:GetOptions>',
      'timg:GetOptionsResponse',
    ],
  ];

  it.each(ops)('%#: %s', async (service, request, response) => {
    const r = await soap(service(), request, auth);
    expect(r.status).toBe(200);
    expect(r.op).toBe(response);
    expect(r.headers.get('content-type')).toMatch(/^application\/soap\+xml/);
    expect(r.headers.get('transfer-encoding')).toBeNull();
    expect(Number(r.headers.get('content-length'))).toBe(Buffer.byteLength(r.text));
    const env = r.doc['env:Envelope'] as Record<string, string>;
    expect(env['@_xmlns:env']).toBe('http://www.w3.org/2003/05/soap-envelope');
    expect(env['@_xmlns:tds']).toBe('http://www.onvif.org/ver10/device/wsdl');
    expect(env['@_xmlns:trt']).toBe('http://www.onvif.org/ver10/media/wsdl');
    expect(env['@_xmlns:timg']).toBe('http://www.onvif.org/ver20/imaging/wsdl');
    expect(env['@_xmlns:tt']).toBe('http://www.onvif.org/ver10/schema');
  });

  it('reports the camera identity, URIs and discovery scopes', async () => {
    const info = await soap(device, '<tds:GetDeviceInformation/>', auth);
    expect(info.body['tds:Manufacturer']).toBe('Simulated Optics');
    const uri = await soap(
      media,
      '<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>profile_1</trt:ProfileToken></trt:GetStreamUri>',
      auth,
    );
    expect((uri.body['trt:MediaUri'] as Record<string, string>)['tt:Uri']).toBe(cam.rtspUrl);
    const scopes = await soap(device, '<tds:GetScopes/>', auth);
    const items = (scopes.body['tds:Scopes'] as Record<string, string>[]).map((s) => s['tt:ScopeItem']);
    expect(items).toContain('onvif://www.onvif.org/name/Room_7');
    expect(items).toContain('onvif://www.onvif.org/location/Floor_2');
    const caps = await soap(device, '<tds:GetCapabilities/>', auth);
    const c = caps.body['tds:Capabilities'] as Record<string, Record<string, string>>;
    expect(c['tt:Media']?.['tt:XAddr']).toBe(media);
    expect(c['tt:Imaging']?.['tt:XAddr']).toBe(imaging);
  });
});

describe('WS-UsernameToken', () => {
  it('answers GetSystemDateAndTime without a token but nothing else', async () => {
    expect((await soap(device, '<tds:GetSystemDateAndTime/>')).status).toBe(200);
    const r = await soap(device, '<tds:GetHostname/>');
    expect(r.status).toBe(400);
    expect(r.op).toBe('env:Fault');
    expect(faultSubcodes(r)).toEqual(['ter:NotAuthorized']);
  });

  it('accepts the right password digest and refuses a wrong one', async () => {
    expect((await soap(media, '<trt:GetProfiles/>', auth)).status).toBe(200);
    const r = await soap(media, '<trt:GetProfiles/>', { user: USER, password: 'wrong' });
    expect(r.status).toBe(400);
    expect(faultSubcodes(r)).toEqual(['ter:NotAuthorized']);
    const other = await soap(media, '<trt:GetProfiles/>', { user: 'admin', password: PASS });
    expect(faultSubcodes(other)).toEqual(['ter:NotAuthorized']);
  });

  it('checks Created against the camera clock, not the host clock', async () => {
    const skewedXaddr = skewed.xaddr;
    const hostTime = await soap(skewedXaddr, '<tds:GetHostname/>', auth);
    expect(faultSubcodes(hostTime)).toEqual(['ter:NotAuthorized']);
    const camTime = await soap(skewedXaddr, '<tds:GetHostname/>', { ...auth, createdMs: skewed.now() });
    expect(camTime.status).toBe(200);
  });
});

describe('Set operations change state', () => {
  it('SetSystemDateAndTime moves the camera clock', async () => {
    const set = await soap(
      device,
      '<tds:SetSystemDateAndTime><tds:DateTimeType>Manual</tds:DateTimeType><tds:DaylightSavings>false</tds:DaylightSavings>' +
        '<tds:TimeZone><tt:TZ>CET-1CEST,M3.5.0,M10.5.0/3</tt:TZ></tds:TimeZone><tds:UTCDateTime><tt:Time><tt:Hour>3</tt:Hour>' +
        '<tt:Minute>4</tt:Minute><tt:Second>5</tt:Second></tt:Time><tt:Date><tt:Year>2030</tt:Year><tt:Month>1</tt:Month>' +
        '<tt:Day>2</tt:Day></tt:Date></tds:UTCDateTime></tds:SetSystemDateAndTime>',
      auth,
    );
    expect(set.op).toBe('tds:SetSystemDateAndTimeResponse');
    const get = await soap(device, '<tds:GetSystemDateAndTime/>');
    const sdt = get.body['tds:SystemDateAndTime'] as Record<string, Record<string, Record<string, string>>>;
    expect(sdt['tt:UTCDateTime']?.['tt:Date']).toEqual({ 'tt:Year': '2030', 'tt:Month': '1', 'tt:Day': '2' });
    expect(sdt['tt:LocalDateTime']?.['tt:Time']?.['tt:Hour']).toBe('4');
    expect(sdt['tt:TimeZone']).toEqual({ 'tt:TZ': 'CET-1CEST,M3.5.0,M10.5.0/3' });
    // The token must now carry the camera's (2030) time.
    expect((await soap(device, '<tds:GetHostname/>', { ...auth, createdMs: cam.now() })).status).toBe(200);
    const bad = await soap(
      device,
      '<tds:SetSystemDateAndTime><tds:DateTimeType>Manual</tds:DateTimeType><tds:DaylightSavings>false</tds:DaylightSavings>' +
        '<tds:UTCDateTime><tt:Time><tt:Hour>25</tt:Hour><tt:Minute>0</tt:Minute><tt:Second>0</tt:Second></tt:Time>' +
        '<tt:Date><tt:Year>2030</tt:Year><tt:Month>1</tt:Month><tt:Day>2</tt:Day></tt:Date></tds:UTCDateTime></tds:SetSystemDateAndTime>',
      { ...auth, createdMs: cam.now() },
    );
    expect(faultSubcodes(bad)).toEqual(['ter:InvalidArgVal', 'ter:InvalidDateTime']);
    const ntp = await soap(
      device,
      '<tds:SetSystemDateAndTime><tds:DateTimeType>NTP</tds:DateTimeType><tds:DaylightSavings>false</tds:DaylightSavings></tds:SetSystemDateAndTime>',
      { ...auth, createdMs: cam.now() },
    );
    expect(ntp.status).toBe(200);
    expect(Math.abs(cam.now() - Date.now())).toBeLessThan(60_000);
  });

  it('SetVideoEncoderConfiguration changes what later Gets report; invalid values are refused', async () => {
    const cfg = (w: number, h: number, fps: number) =>
      `<trt:SetVideoEncoderConfiguration><trt:Configuration token="video_enc_1"><tt:Name>Main</tt:Name><tt:UseCount>1</tt:UseCount>` +
      `<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>${w}</tt:Width><tt:Height>${h}</tt:Height></tt:Resolution>` +
      `<tt:Quality>70</tt:Quality><tt:RateControl><tt:FrameRateLimit>${fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
      `<tt:BitrateLimit>2048</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>20</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>` +
      `<tt:SessionTimeout>PT90S</tt:SessionTimeout></trt:Configuration><trt:ForcePersistence>true</trt:ForcePersistence></trt:SetVideoEncoderConfiguration>`;
    expect((await soap(media, cfg(1280, 720, 12), auth)).op).toBe('trt:SetVideoEncoderConfigurationResponse');
    const get = await soap(
      media,
      '<trt:GetVideoEncoderConfiguration><trt:ConfigurationToken>video_enc_1</trt:ConfigurationToken></trt:GetVideoEncoderConfiguration>',
      auth,
    );
    const c = get.body['trt:Configuration'] as Record<string, Record<string, string>>;
    expect(c['tt:Resolution']).toEqual({ 'tt:Width': '1280', 'tt:Height': '720' });
    expect(c['tt:RateControl']?.['tt:FrameRateLimit']).toBe('12');
    expect(c['tt:H264']).toEqual({ 'tt:GovLength': '20', 'tt:H264Profile': 'Main' });
    expect(c['tt:SessionTimeout']).toBe('PT90S');
    const bad = await soap(media, cfg(1000, 1000, 12), auth);
    expect(bad.status).toBe(400);
    expect(faultSubcodes(bad)).toEqual(['ter:InvalidArgVal', 'ter:ConfigModify']);
    expect(cam.state.encoder.resolution).toEqual({ width: 1280, height: 720 });
    const profiles = await soap(media, '<trt:GetProfiles/>', auth);
    const p = profiles.body['trt:Profiles'] as Record<string, Record<string, Record<string, string>>>;
    expect(p['tt:VideoEncoderConfiguration']?.['tt:Resolution']?.['tt:Width']).toBe('1280');
  });

  it('SetImagingSettings changes only the given settings; out-of-range is refused', async () => {
    const set = await soap(
      imaging,
      '<timg:SetImagingSettings><timg:VideoSourceToken>video_src_1</timg:VideoSourceToken><timg:ImagingSettings>' +
        '<tt:Brightness>80</tt:Brightness><tt:IrCutFilter>OFF</tt:IrCutFilter></timg:ImagingSettings></timg:SetImagingSettings>',
      auth,
    );
    expect(set.op).toBe('timg:SetImagingSettingsResponse');
    const get = await soap(
      imaging,
      '<timg:GetImagingSettings><timg:VideoSourceToken>video_src_1</timg:VideoSourceToken></timg:GetImagingSettings>',
      auth,
    );
    const s = get.body['timg:ImagingSettings'] as Record<string, string>;
    expect(s['tt:Brightness']).toBe('80');
    expect(s['tt:IrCutFilter']).toBe('OFF');
    expect(s['tt:Contrast']).toBe('50');
    const bad = await soap(
      imaging,
      '<timg:SetImagingSettings><timg:VideoSourceToken>video_src_1</timg:VideoSourceToken><timg:ImagingSettings>' +
        '<tt:Brightness>180</tt:Brightness></timg:ImagingSettings></timg:SetImagingSettings>',
      auth,
    );
    expect(faultSubcodes(bad)).toEqual(['ter:InvalidArgVal', 'ter:SettingsInvalid']);
    expect(cam.state.imaging.brightness).toBe(80);
  });

  it('SetHostname changes GetHostname', async () => {
    await soap(device, '<tds:SetHostname><tds:Name>room-7-cam</tds:Name></tds:SetHostname>', auth);
    const r = await soap(device, '<tds:GetHostname/>', auth);
    expect((r.body['tds:HostnameInformation'] as Record<string, string>)['tt:Name']).toBe('room-7-cam');
  });
});

describe('bad requests get SOAP faults and the camera keeps serving', () => {
  it('unknown action -> ter:ActionNotSupported', async () => {
    const r = await soap(device, '<tds:GetRemoteUser/>', auth);
    expect(r.status).toBe(500);
    expect(faultSubcodes(r)).toEqual(['ter:ActionNotSupported']);
    const ptz = await soap(device, '<x:ContinuousMove xmlns:x="http://www.onvif.org/ver20/ptz/wsdl"/>', auth);
    expect(faultSubcodes(ptz)).toEqual(['ter:ActionNotSupported']);
  });

  it('unknown profile token -> ter:NoProfile', async () => {
    const r = await soap(
      media,
      '<trt:GetProfile><trt:ProfileToken>nope</trt:ProfileToken></trt:GetProfile>',
      auth,
    );
    expect(faultSubcodes(r)).toEqual(['ter:InvalidArgVal', 'ter:NoProfile']);
  });

  it('malformed XML, DTDs, entity expansion, SOAP 1.1 and oversize bodies are refused', async () => {
    const malformed = await post(device, `<s:Envelope ${NSDECL}><s:Body><tds:GetHostname></s:Body>`);
    expect(malformed.status).toBe(400);
    expect(faultSubcodes(malformed)).toEqual(['ter:WellFormed']);

    const bomb =
      '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' +
      `<s:Envelope ${NSDECL}><s:Body><tds:SetHostname><tds:Name>&b;</tds:Name></tds:SetHostname></s:Body></s:Envelope>`;
    const dtd = await post(device, bomb);
    expect(faultSubcodes(dtd)).toEqual(['ter:WellFormed']);

    const soap11 = await post(
      device,
      '<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><GetHostname/></e:Body></e:Envelope>',
    );
    expect(soap11.status).toBe(500);
    expect(soap11.body['env:Code']).toEqual({ 'env:Value': 'env:VersionMismatch' });

    const huge = await post(
      device,
      `<s:Envelope ${NSDECL}><s:Body>${'<x/>'.repeat(40_000)}</s:Body></s:Envelope>`,
    );
    expect(huge.status).toBe(413);
    expect(huge.op).toBe('env:Fault');

    const unknownMustUnderstand = await post(
      device,
      `<s:Envelope ${NSDECL}><s:Header><x:H xmlns:x="urn:x" s:mustUnderstand="true"/></s:Header><s:Body><tds:GetSystemDateAndTime/></s:Body></s:Envelope>`,
    );
    expect(unknownMustUnderstand.body['env:Code']).toEqual({ 'env:Value': 'env:MustUnderstand' });

    expect((await soap(device, '<tds:GetHostname/>', auth)).status).toBe(200);
  });
});

describe('node-onvif against the simulator', () => {
  it('init() succeeds and yields the profile, stream and snapshot URIs; the snapshot is a JPEG', async () => {
    const dev = new onvif.OnvifDevice({ xaddr: cam.xaddr, user: USER, pass: PASS });
    const info = await dev.init();
    expect(info.Manufacturer).toBe('Simulated Optics');
    const p = dev.getCurrentProfile();
    expect(p.token).toBe('profile_1');
    expect(p.stream.rtsp).toBe(cam.rtspUrl);
    expect(p.snapshot).toBe(cam.snapshotUrl);
    const snap = await dev.fetchSnapshot();
    expect(snap.headers['content-type']).toBe('image/jpeg');
    expect(snap.body.subarray(0, 2).toString('hex')).toBe('ffd8');
  });

  it('init() works against a camera whose clock is an hour off (node-onvif corrects Created)', async () => {
    const dev = new onvif.OnvifDevice({ xaddr: skewed.xaddr, user: USER, pass: PASS });
    await expect(dev.init()).resolves.toMatchObject({ Model: 'SIM-CAM-1' });
  });

  it('init() fails with a wrong password', async () => {
    const dev = new onvif.OnvifDevice({ xaddr: cam.xaddr, user: USER, pass: 'wrong' });
    await expect(dev.init()).rejects.toThrow(/Sender not Authorized/);
  });
});

describe("badSoap fault: broken answers for the gateway's defensive tests", () => {
  const raw = async () => {
    const res = await fetch(device, {
      method: 'POST',
      headers: { 'Content-Type': 'application/soap+xml' },
      body: `<s:Envelope ${NSDECL}><s:Body><tds:GetSystemDateAndTime/></s:Body></s:Envelope>`,
    });
    return { status: res.status, text: await res.text() };
  };

  it('answers malformed XML, wrong namespaces, 8 MiB and a billion-laughs DTD, until resume', async () => {
    try {
      cam.faults.badSoap('malformed');
      const malformed = await raw();
      expect(malformed.status).toBe(200);
      expect(XMLValidator.validate(malformed.text)).not.toBe(true);

      cam.faults.badSoap('wrong-namespace');
      const wrongNs = await raw();
      expect(XMLValidator.validate(wrongNs.text)).toBe(true);
      expect(wrongNs.text).toContain('<tds:GetSystemDateAndTimeResponse>');
      expect(wrongNs.text).not.toContain('http://www.onvif.org/ver10/device/wsdl');

      cam.faults.badSoap('huge');
      expect((await raw()).text.length).toBeGreaterThan(HUGE_SOAP_BYTES);

      cam.faults.badSoap('entity-expansion');
      const bomb = await raw();
      expect(bomb.text).toMatch(/<!DOCTYPE[^[]*\[<!ENTITY e0 "lol">/);
      expect(bomb.text).toContain('&e10;');
      expect(cam.faults.active).toEqual(['bad-soap']);
    } finally {
      cam.faults.resume();
    }
    expect(XMLValidator.validate((await raw()).text)).toBe(true);
  });
});

describe('hang fault', () => {
  it('SOAP stops answering (socket open) until resume', async () => {
    cam.faults.hang();
    const ctl = new AbortController();
    const pending = soap(device, '<tds:GetSystemDateAndTime/>').then(
      () => 'answered',
      () => 'aborted',
    );
    setTimeout(() => ctl.abort(), 1500);
    const raced = await Promise.race([
      pending,
      new Promise((r) => ctl.signal.addEventListener('abort', () => r('silent'))),
    ]);
    expect(raced).toBe('silent');
    cam.faults.resume();
    expect((await soap(device, '<tds:GetSystemDateAndTime/>')).status).toBe(200);
  });
});
