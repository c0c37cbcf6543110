import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createRequire } from 'node:module';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFleet, probe, SimCamera, startCameras } from '../../device-sim/camera/index.js';
import { sleep, soap, until } from './helpers.js';

const require = createRequire(import.meta.url);
// node-onvif's discovery is a module singleton that creates its own socket in startProbe().
const onvif = require('node-onvif') as {
  startProbe(): Promise<
    { urn: string; name: string; location: string; xaddrs: string[]; scopes: string[] }[]
  >;
  _udp: Socket | null;
};

const GROUP = '239.255.255.250';
const WSD = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
const WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
const DN = 'http://www.onvif.org/ver10/network/wsdl';

// Other test processes on this machine may run simulated cameras too: every check filters on ours.
let fleet: CameraFleet;
let ours: Set<string>;

beforeAll(async () => {
  fleet = await startCameras(3, {
    firstOctet: 31,
    common: { user: 'admin', password: 'pw' },
    sourceOptions: { width: 320, height: 180, fps: 5 },
  });
  ours = new Set(fleet.cameras.map((c) => c.endpoint));
});

afterAll(async () => {
  await fleet?.stop();
});

/** A Probe as an ONVIF client sends it, with a prefix of its own choosing for the type. */
function probeXml(messageId: string, types: string | undefined): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    `<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:w="${WSA}" xmlns:d="${WSD}">` +
    `<soap:Header><w:MessageID>${messageId}</w:MessageID><w:To soap:mustUnderstand="true">urn:schemas-xmlsoap-org:ws:2005:04:discovery</w:To>` +
    `<w:Action soap:mustUnderstand="true">${WSD}/Probe</w:Action></soap:Header>` +
    `<soap:Body><d:Probe>${types === undefined ? '' : `<d:Types xmlns:nvt="${DN}">${types}</d:Types>`}</d:Probe></soap:Body></soap:Envelope>`
  );
}

interface Answer {
  from: { address: string; port: number };
  xml: string;
}

/** Sends one raw multicast Probe on loopback from an ephemeral port and collects every datagram back. */
async function rawProbe(
  types: string | undefined,
  waitMs = 1000,
): Promise<{ messageId: string; port: number; answers: Answer[] }> {
  const sock = createSocket('udp4');
  const answers: Answer[] = [];
  sock.on('message', (msg, from) =>
    answers.push({ from: { address: from.address, port: from.port }, xml: msg.toString() }),
  );
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.setMulticastInterface('127.0.0.1');
  const messageId = `urn:uuid:${randomUUID()}`;
  const port = sock.address().port;
  await new Promise<void>((resolve, reject) =>
    sock.send(probeXml(messageId, types), 3702, GROUP, (e) => (e ? reject(e) : resolve())),
  );
  await sleep(waitMs);
  sock.close();
  return { messageId, port, answers };
}

const xml = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false });

/** Our cameras' ProbeMatches (other processes may answer too, possibly with anything). */
function ourMatches(answers: Answer[]) {
  return answers
    .map((a) => {
      try {
        return { ...probeMatch(a), from: a.from };
      } catch {
        return undefined;
      }
    })
    .filter((m) => m !== undefined && ours.has(m.endpoint)) as (ReturnType<typeof probeMatch> &
    Pick<Answer, 'from'>)[];
}

function probeMatch(a: Answer) {
  const env = xml.parse(a.xml).Envelope;
  const m = env.Body.ProbeMatches.ProbeMatch;
  return {
    relatesTo: String(env.Header.RelatesTo),
    action: String(env.Header.Action),
    endpoint: String(m.EndpointReference.Address),
    types: String(m.Types).split(/\s+/),
    scopes: String(m.Scopes).split(/\s+/),
    xaddrs: String(m.XAddrs).split(/\s+/),
    metadataVersion: String(m.MetadataVersion),
    raw: a.xml,
  };
}

describe('WS-Discovery on loopback', () => {
  it('answers a raw NetworkVideoTransmitter Probe from each camera, unicast, with everything ONVIF requires', async () => {
    const { messageId, answers } = await rawProbe('nvt:NetworkVideoTransmitter');
    const mine = ourMatches(answers);
    expect(new Set(mine.map((m) => m.endpoint))).toEqual(ours);
    for (const m of mine) {
      expect(m.relatesTo).toBe(messageId);
      expect(m.action).toBe(`${WSD}/ProbeMatches`);
      expect(m.endpoint).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      // The type's prefix must be bound to the ONVIF network namespace in the answer itself.
      const t = m.types.find((x) => x.endsWith(':NetworkVideoTransmitter'));
      expect(t).toBeDefined();
      expect(m.raw).toContain(`xmlns:${t!.split(':')[0]}="${DN}"`);
      expect(m.scopes).toContain('onvif://www.onvif.org/type/video_encoder');
      expect(m.scopes.some((s) => s.startsWith('onvif://www.onvif.org/hardware/'))).toBe(true);
      expect(m.scopes.some((s) => s.startsWith('onvif://www.onvif.org/name/Hearing_Room_'))).toBe(true);
      expect(m.scopes.some((s) => s.startsWith('onvif://www.onvif.org/location/room-'))).toBe(true);
      expect(m.xaddrs).toHaveLength(1);
      expect(m.xaddrs[0]).toMatch(/^http:\/\/127\.0\.0\.3[1-3]:\d+\/onvif\/device_service$/);
      expect(Number(m.metadataVersion)).toBeGreaterThanOrEqual(1);
    }
    // Each answer comes from the camera's own address.
    for (const m of mine) expect(m.xaddrs[0]).toContain(`//${m.from.address}:`);
  });

  it('answers an empty-types Probe and ignores a Probe for another device type', async () => {
    const empty = await rawProbe(undefined);
    expect(new Set(ourMatches(empty.answers).map((m) => m.endpoint))).toEqual(ours);
    const display = await rawProbe('nvt:NetworkVideoDisplay', 700);
    expect(ourMatches(display.answers)).toEqual([]);
  });

  it('the XAddrs found by discovery serve SOAP', async () => {
    const found = (await probe({ waitMs: 800 })).filter((m) => ours.has(m.endpoint));
    expect(found).toHaveLength(3);
    for (const f of found) {
      const r = await soap(f.xaddrs[0]!, '<tds:GetSystemDateAndTime/>');
      expect(r.op).toBe('tds:GetSystemDateAndTimeResponse');
    }
  });

  it('node-onvif finds the cameras once its socket sends on loopback', async () => {
    // node-onvif never sets a multicast interface, so its Probe leaves by the default route. Naming
    // the interface from a 'listening' hook (before its own bind callback sends) keeps it on lo.
    const pending = onvif.startProbe();
    onvif._udp!.prependOnceListener('listening', () => onvif._udp!.setMulticastInterface('127.0.0.1'));
    const list = (await pending).filter((d) => ours.has(d.urn));
    expect(list.map((d) => d.name).sort()).toEqual(['Hearing Room 1', 'Hearing Room 2', 'Hearing Room 3']);
    expect(list.map((d) => d.location).sort()).toEqual(['room-1', 'room-2', 'room-3']);
    for (const d of list) expect(d.xaddrs[0]).toMatch(/^http:\/\/127\.0\.0\.3\d:\d+\/onvif\/device_service$/);
  });
});

describe('Hello and Bye', () => {
  let listener: Socket;
  const heard: string[] = [];

  beforeAll(async () => {
    listener = createSocket({ type: 'udp4', reuseAddr: true });
    listener.on('message', (m) => heard.push(m.toString()));
    await new Promise<void>((r) => listener.bind(3702, '0.0.0.0', () => r()));
    listener.addMembership(GROUP, '127.0.0.1');
  });

  afterAll(() => listener?.close());

  const announcements = (endpoint: string, kind: 'Hello' | 'Bye') =>
    heard.filter((x) => x.includes(`${WSD}/${kind}`) && x.includes(endpoint));

  it('announces Hello on start and Bye on stop, and both around a reboot', async () => {
    const cam = new SimCamera({ address: '127.0.0.34', name: 'Late Room' }, { source: fleet.source });
    await cam.start();
    try {
      await until(() => announcements(cam.endpoint, 'Hello').length === 1, 5000, 'Hello');
      const hello = xml.parse(announcements(cam.endpoint, 'Hello')[0]!).Envelope;
      expect(String(hello.Body.Hello.XAddrs)).toBe(cam.xaddr);
      expect(String(hello.Header.To)).toBe('urn:schemas-xmlsoap-org:ws:2005:04:discovery');

      const xaddr = cam.xaddr;
      const reboot = cam.faults.reboot(500);
      await until(() => announcements(cam.endpoint, 'Bye').length === 1, 5000, 'Bye before reboot');
      await expect(fetch(xaddr, { method: 'POST', body: '<x/>' })).rejects.toThrow();
      await reboot;
      await until(() => announcements(cam.endpoint, 'Hello').length === 2, 5000, 'Hello after reboot');
      expect(cam.xaddr).toBe(xaddr);
      expect((await soap(xaddr, '<tds:GetSystemDateAndTime/>')).status).toBe(200);
      const seq = (m: string) => Number(xml.parse(m).Envelope.Header.AppSequence['@_InstanceId']);
      const hellos = announcements(cam.endpoint, 'Hello');
      expect(seq(hellos[1]!)).toBeGreaterThan(seq(hellos[0]!));
    } finally {
      await cam.stop();
    }
    await until(() => announcements(cam.endpoint, 'Bye').length === 2, 5000, 'Bye on stop');
  });

  it('a hung camera stays silent to Probes', async () => {
    const cam = fleet.cameras[0]!;
    cam.faults.hang();
    try {
      const { answers } = await rawProbe('nvt:NetworkVideoTransmitter', 700);
      const endpoints = ourMatches(answers).map((m) => m.endpoint);
      expect(endpoints).not.toContain(cam.endpoint);
      expect(endpoints).toContain(fleet.cameras[1]!.endpoint);
    } finally {
      cam.faults.resume();
    }
  });
});
