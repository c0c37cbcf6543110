import { NS } from './namespaces.js';
import { el, type OnvifContext, type OperationHandler, tx } from './onvif-context.js';
import { faults, SoapFault } from './soap.js';
import { DateTimeType } from './state.js';
import { child, children, childText, type XmlElement } from './xml.js';

/** Device management service (ONVIF Device Management Service Specification, tds). */

/** POSIX TZ `STD[+-]h[:mm]...`: minutes east of UTC (POSIX signs are inverted). DST rules are ignored. */
export function posixTzOffsetMinutes(tz: string): number | undefined {
  const m = /^([A-Za-z]{3,}|<[^>]+>)([+-]?)(\d{1,2})(?::(\d{2}))?/.exec(tz);
  if (!m) return undefined;
  const minutes = Number(m[3]) * 60 + Number(m[4] ?? 0);
  if (minutes > 24 * 60) return undefined;
  return m[2] === '-' ? minutes : -minutes || 0;
}

function dateTime(tag: string, ms: number): string {
  const d = new Date(ms);
  return el(
    tag,
    el(
      'tt:Time',
      tx('tt:Hour', d.getUTCHours()) +
        tx('tt:Minute', d.getUTCMinutes()) +
        tx('tt:Second', d.getUTCSeconds()),
    ) +
      el(
        'tt:Date',
        tx('tt:Year', d.getUTCFullYear()) +
          tx('tt:Month', d.getUTCMonth() + 1) +
          tx('tt:Day', d.getUTCDate()),
      ),
  );
}

function getSystemDateAndTime(_op: XmlElement, ctx: OnvifContext): string {
  const c = ctx.state.clock;
  const now = ctx.now();
  const local = now + (posixTzOffsetMinutes(c.tz) ?? 0) * 60_000;
  return el(
    'tds:GetSystemDateAndTimeResponse',
    el(
      'tds:SystemDateAndTime',
      tx('tt:DateTimeType', c.type) +
        tx('tt:DaylightSavings', c.daylightSavings) +
        el('tt:TimeZone', tx('tt:TZ', c.tz)) +
        dateTime('tt:UTCDateTime', now) +
        dateTime('tt:LocalDateTime', local),
    ),
  );
}

function intIn(el_: XmlElement | undefined, local: string, min: number, max: number): number | undefined {
  const t = childText(el_, NS.tt, local);
  if (t === undefined || !/^\d{1,4}$/.test(t)) return undefined;
  const n = Number(t);
  return n >= min && n <= max ? n : undefined;
}

function setSystemDateAndTime(op: XmlElement, ctx: OnvifContext): string {
  const type = DateTimeType.safeParse(childText(op, NS.tds, 'DateTimeType'));
  if (!type.success) throw faults.invalidArgVal('InvalidDateTime', 'DateTimeType must be Manual or NTP');
  const dst = childText(op, NS.tds, 'DaylightSavings');
  const tz = childText(child(op, NS.tds, 'TimeZone'), NS.tt, 'TZ');
  if (tz !== undefined && posixTzOffsetMinutes(tz) === undefined) {
    throw faults.invalidArgVal('InvalidTimeZone', `unsupported TZ "${tz}"`);
  }
  let offsetMs = ctx.state.clock.offsetMs;
  if (type.data === 'Manual') {
    const utc = child(op, NS.tds, 'UTCDateTime');
    const time = child(utc, NS.tt, 'Time');
    const date = child(utc, NS.tt, 'Date');
    const parts = [
      intIn(date, 'Year', 1970, 2100),
      intIn(date, 'Month', 1, 12),
      intIn(date, 'Day', 1, 31),
      intIn(time, 'Hour', 0, 23),
      intIn(time, 'Minute', 0, 59),
      intIn(time, 'Second', 0, 60),
    ];
    if (parts.some((p) => p === undefined)) {
      throw faults.invalidArgVal('InvalidDateTime', 'Manual needs a complete, valid UTCDateTime');
    }
    const [y, mo, d, h, mi, s] = parts as number[];
    const ms = Date.UTC(y!, mo! - 1, d, h, mi, s);
    if (new Date(ms).getUTCDate() !== d) throw faults.invalidArgVal('InvalidDateTime', 'no such date');
    offsetMs = ms - (ctx.now() - ctx.state.clock.offsetMs);
  } else {
    // An NTP-synchronised camera agrees with the host (which stands in for the NTP server).
    offsetMs = 0;
  }
  ctx.state.clock = {
    type: type.data,
    daylightSavings: dst === undefined ? ctx.state.clock.daylightSavings : dst === 'true' || dst === '1',
    tz: tz ?? ctx.state.clock.tz,
    offsetMs,
  };
  return el('tds:SetSystemDateAndTimeResponse');
}

function getHostname(_op: XmlElement, ctx: OnvifContext): string {
  return el(
    'tds:GetHostnameResponse',
    el('tds:HostnameInformation', tx('tt:FromDHCP', false) + tx('tt:Name', ctx.state.hostname)),
  );
}

function setHostname(op: XmlElement, ctx: OnvifContext): string {
  const name = childText(op, NS.tds, 'Name') ?? '';
  if (!/^(?=.{1,63}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name)) {
    throw faults.invalidArgVal('InvalidHostname', `invalid hostname "${name}"`);
  }
  ctx.state.hostname = name;
  return el('tds:SetHostnameResponse');
}

function getDeviceInformation(_op: XmlElement, ctx: OnvifContext): string {
  const i = ctx.identity;
  return el(
    'tds:GetDeviceInformationResponse',
    tx('tds:Manufacturer', i.manufacturer) +
      tx('tds:Model', i.model) +
      tx('tds:FirmwareVersion', i.firmwareVersion) +
      tx('tds:SerialNumber', i.serialNumber) +
      tx('tds:HardwareId', i.hardwareId),
  );
}

const CATEGORIES = ['All', 'Analytics', 'Device', 'Events', 'Imaging', 'Media', 'PTZ'] as const;

function getCapabilities(op: XmlElement, ctx: OnvifContext): string {
  const asked = children(op, NS.tds, 'Category').map((c) => c.text.trim());
  for (const c of asked) {
    if (!(CATEGORIES as readonly string[]).includes(c)) throw faults.invalidArgs(`unknown Category ${c}`);
  }
  const want = (c: string) => asked.length === 0 || asked.includes('All') || asked.includes(c);
  if (asked.length > 0 && !asked.some((c) => ['All', 'Device', 'Imaging', 'Media'].includes(c))) {
    throw new SoapFault(
      'Receiver',
      ['ActionNotSupported', 'NoSuchService'],
      `no ${asked.join(', ')} service`,
    );
  }
  let caps = '';
  if (want('Device')) {
    caps += el(
      'tt:Device',
      tx('tt:XAddr', ctx.xaddrs.device) +
        el(
          'tt:Network',
          tx('tt:IPFilter', false) +
            tx('tt:ZeroConfiguration', false) +
            tx('tt:IPVersion6', false) +
            tx('tt:DynDNS', false),
        ) +
        el(
          'tt:System',
          tx('tt:DiscoveryResolve', false) +
            tx('tt:DiscoveryBye', true) +
            tx('tt:RemoteDiscovery', false) +
            tx('tt:SystemBackup', false) +
            tx('tt:SystemLogging', false) +
            tx('tt:FirmwareUpgrade', false) +
            el('tt:SupportedVersions', tx('tt:Major', 2) + tx('tt:Minor', 40)),
        ) +
        el('tt:IO', tx('tt:InputConnectors', 0) + tx('tt:RelayOutputs', 0)) +
        el(
          'tt:Security',
          [
            'TLS1.1',
            'TLS1.2',
            'OnboardKeyGeneration',
            'AccessPolicyConfig',
            'X.509Token',
            'SAMLToken',
            'KerberosToken',
            'RELToken',
          ]
            .map((k) => tx(`tt:${k}`, false))
            .join(''),
        ),
    );
  }
  if (want('Imaging')) caps += el('tt:Imaging', tx('tt:XAddr', ctx.xaddrs.imaging));
  if (want('Media')) {
    caps += el(
      'tt:Media',
      tx('tt:XAddr', ctx.xaddrs.media) +
        el(
          'tt:StreamingCapabilities',
          tx('tt:RTPMulticast', false) + tx('tt:RTP_TCP', true) + tx('tt:RTP_RTSP_TCP', true),
        ),
    );
  }
  return el('tds:GetCapabilitiesResponse', el('tds:Capabilities', caps));
}

function service(ns: string, xaddr: string, caps: string, minor: number): string {
  return el(
    'tds:Service',
    tx('tds:Namespace', ns) +
      tx('tds:XAddr', xaddr) +
      caps +
      el('tds:Version', tx('tt:Major', 2) + tx('tt:Minor', minor)),
  );
}

function getServices(op: XmlElement, ctx: OnvifContext): string {
  const inc = childText(op, NS.tds, 'IncludeCapability');
  const withCaps = inc === 'true' || inc === '1';
  const deviceCaps =
    el('tds:Network', '', { IPFilter: false, ZeroConfiguration: false, IPVersion6: false, DynDNS: false }) +
    el('tds:Security', '', { UsernameToken: true, HttpDigest: false, 'TLS1.2': false }) +
    el('tds:System', '', { DiscoveryResolve: false, DiscoveryBye: true, RemoteDiscovery: false });
  const mediaCaps =
    el('trt:ProfileCapabilities', '', { MaximumNumberOfProfiles: 1 }) +
    el('trt:StreamingCapabilities', '', { RTPMulticast: false, RTP_TCP: true, RTP_RTSP_TCP: true });
  return el(
    'tds:GetServicesResponse',
    service(
      NS.tds,
      ctx.xaddrs.device,
      withCaps ? el('tds:Capabilities', el('tds:Capabilities', deviceCaps)) : '',
      40,
    ) +
      service(
        NS.trt,
        ctx.xaddrs.media,
        withCaps
          ? el('tds:Capabilities', el('trt:Capabilities', mediaCaps, { SnapshotUri: true, Rotation: false }))
          : '',
        40,
      ) +
      service(
        NS.timg,
        ctx.xaddrs.imaging,
        withCaps ? el('tds:Capabilities', el('timg:Capabilities', '', { ImageStabilization: false })) : '',
        40,
      ),
  );
}

function getScopes(_op: XmlElement, ctx: OnvifContext): string {
  const items = ctx.scopes
    .map((s) => {
      const fixed = !s.includes('/name/') && !s.includes('/location/');
      return el('tds:Scopes', tx('tt:ScopeDef', fixed ? 'Fixed' : 'Configurable') + tx('tt:ScopeItem', s));
    })
    .join('');
  return el('tds:GetScopesResponse', items);
}

function getNTP(_op: XmlElement, ctx: OnvifContext): string {
  return el(
    'tds:GetNTPResponse',
    el(
      'tds:NTPInformation',
      tx('tt:FromDHCP', false) +
        el('tt:NTPManual', tx('tt:Type', 'IPv4') + tx('tt:IPv4Address', ctx.state.ntpServer)),
    ),
  );
}

function getNetworkInterfaces(_op: XmlElement, ctx: OnvifContext): string {
  return el(
    'tds:GetNetworkInterfacesResponse',
    el(
      'tds:NetworkInterfaces',
      tx('tt:Enabled', true) +
        el('tt:Info', tx('tt:Name', 'eth0') + tx('tt:HwAddress', ctx.identity.mac) + tx('tt:MTU', 1500)) +
        el(
          'tt:IPv4',
          tx('tt:Enabled', true) +
            el(
              'tt:Config',
              el('tt:Manual', tx('tt:Address', ctx.identity.address) + tx('tt:PrefixLength', 8)) +
                tx('tt:DHCP', false),
            ),
        ),
      { token: 'eth0' },
    ),
  );
}

function getNetworkDefaultGateway(_op: XmlElement, ctx: OnvifContext): string {
  return el(
    'tds:GetNetworkDefaultGatewayResponse',
    el('tds:NetworkGateway', tx('tt:IPv4Address', ctx.state.gateway)),
  );
}

function getDNS(_op: XmlElement, ctx: OnvifContext): string {
  return el(
    'tds:GetDNSResponse',
    el(
      'tds:DNSInformation',
      tx('tt:FromDHCP', false) +
        el('tt:DNSManual', tx('tt:Type', 'IPv4') + tx('tt:IPv4Address', ctx.state.dnsServer)),
    ),
  );
}

export const deviceOperations: Record<string, OperationHandler> = {
  GetSystemDateAndTime: getSystemDateAndTime,
  SetSystemDateAndTime: setSystemDateAndTime,
  GetHostname: getHostname,
  SetHostname: setHostname,
  GetDeviceInformation: getDeviceInformation,
  GetCapabilities: getCapabilities,
  GetServices: getServices,
  GetScopes: getScopes,
  GetNTP: getNTP,
  GetNetworkInterfaces: getNetworkInterfaces,
  GetNetworkDefaultGateway: getNetworkDefaultGateway,
  GetDNS: getDNS,
};
