/**
 * A camera is a network peer we do not control: bad SOAP must be refused with a typed error, the
 * gateway must neither crash nor hang. A tiny hostile ONVIF "camera" answers GetSystemDateAndTime
 * properly (so node-onvif's own parsing is exercised) and GetCapabilities with the hostile answer.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnvifNodeAdapter } from '../../gateway/cameras/onvif-node-adapter.js';
import { parseProbeMatches } from '../../gateway/cameras/ws-discovery.js';
import { GatewayError } from '../../gateway/errors.js';
import { createLogger } from '../../gateway/log.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const ENV = 'http://www.w3.org/2003/05/soap-envelope';
const TDS = 'http://www.onvif.org/ver10/device/wsdl';
const TT = 'http://www.onvif.org/ver10/schema';

const envelope = (body: string, ns = ENV) =>
  `<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="${ns}" xmlns:tds="${TDS}" xmlns:tt="${TT}"><env:Body>${body}</env:Body></env:Envelope>`;

function dateAnswer(year = String(new Date().getUTCFullYear())): string {
  const d = new Date();
  return envelope(
    `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType>` +
      `<tt:UTCDateTime><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
      `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${year}</tt:Year>` +
      `<tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:UTCDateTime>` +
      `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
  );
}

const LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from(
    { length: 9 },
    (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
  ).join('') +
  ']>' +
  `<env:Envelope xmlns:env="${ENV}" xmlns:tds="${TDS}"><env:Body><tds:GetCapabilitiesResponse>&lol9;</tds:GetCapabilitiesResponse></env:Body></env:Envelope>`;

type Mode =
  | 'malformed'
  | 'soap11-namespace'
  | 'huge-chunked'
  | 'huge-declared'
  | 'billion-laughs'
  | 'external-entity'
  | 'hang'
  | 'drip'
  | 'wrong-element'
  | 'bad-values'
  | 'not-utf8'
  | 'deep-nesting'
  | 'html-500';

function hostile(mode: Mode, res: ServerResponse): void {
  const send = (status: number, body: string | Buffer, type = 'application/soap+xml; charset=utf-8') => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  switch (mode) {
    case 'malformed':
      return void send(
        200,
        envelope('<tds:GetCapabilitiesResponse><tds:Capabilities>').replace('</env:Body>', ''),
      );
    case 'soap11-namespace':
      return void send(
        200,
        envelope(
          `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>http://127.0.0.1:1/m</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`,
          'http://schemas.xmlsoap.org/soap/envelope/',
        ),
      );
    case 'huge-chunked': {
      // 64 MB without Content-Length, as fast as the socket takes it.
      res.writeHead(200, { 'content-type': 'application/soap+xml' });
      res.write(`<env:Envelope xmlns:env="${ENV}"><env:Body>`);
      const chunk = Buffer.alloc(256 * 1024, 'a');
      let left = 256;
      const pump = () => {
        while (left > 0) {
          left--;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('</env:Body></env:Envelope>');
      };
      res.on('error', () => {});
      return void pump();
    }
    case 'huge-declared':
      res.writeHead(200, { 'content-type': 'application/soap+xml', 'content-length': 500 * 1024 * 1024 });
      res.on('error', () => {});
      return void res.write('<env:Envelope');
    case 'billion-laughs':
      return void send(200, LAUGHS);
    case 'external-entity':
      return void send(
        200,
        `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` +
          envelope('<tds:GetCapabilitiesResponse>&xxe;</tds:GetCapabilitiesResponse>').replace(
            /^<\?xml[^>]*>/,
            '',
          ),
      );
    case 'hang':
      return; // never answers
    case 'drip': {
      res.writeHead(200, { 'content-type': 'application/soap+xml' });
      const t = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(t));
      return;
    }
    case 'wrong-element':
      return void send(
        200,
        envelope(
          '<tds:GetDeviceInformationResponse><tds:Model>x</tds:Model></tds:GetDeviceInformationResponse>',
        ),
      );
    case 'bad-values':
      return void send(
        200,
        envelope(
          `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>file:///etc/passwd</tt:XAddr></tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`,
        ),
      );
    case 'not-utf8':
      return void send(
        200,
        Buffer.concat([
          Buffer.from(envelope('<tds:GetCapabilitiesResponse>')),
          Buffer.from([0xc3, 0x28, 0xff]),
        ]),
      );
    case 'deep-nesting':
      return void send(
        200,
        envelope(
          `<tds:GetCapabilitiesResponse>${'<a>'.repeat(50_000)}${'</a>'.repeat(50_000)}</tds:GetCapabilitiesResponse>`,
        ),
      );
    case 'html-500':
      return void send(500, '<html><body>Internal Server Error</body></html>', 'text/html');
  }
}

let server: Server;
let base = '';
const log = createLogger({ level: 'silent' });

beforeAll(async () => {
  server = createServer((req, res) => {
    const mode = decodeURIComponent(req.url?.split('/')[1] ?? '') as Mode;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      if (body.includes('GetSystemDateAndTime')) {
        res.writeHead(200, { 'content-type': 'application/soap+xml' });
        res.end(dateAnswer());
        return;
      }
      hostile(mode, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('hostile camera answers are refused cleanly', () => {
  const adapter = () => new OnvifNodeAdapter({ log, limits: { deadlineMs: 1500, maxBytes: 256 * 1024 } });
  const cases: [Mode, 'CAMERA_BAD_RESPONSE' | 'CAMERA_UNREACHABLE', RegExp][] = [
    ['malformed', 'CAMERA_BAD_RESPONSE', /malformed XML/],
    ['soap11-namespace', 'CAMERA_BAD_RESPONSE', /not SOAP 1\.2/],
    ['huge-chunked', 'CAMERA_BAD_RESPONSE', /larger than 262144 bytes/],
    ['huge-declared', 'CAMERA_BAD_RESPONSE', /declares 524288000 bytes/],
    ['billion-laughs', 'CAMERA_BAD_RESPONSE', /DTD/],
    ['external-entity', 'CAMERA_BAD_RESPONSE', /DTD/],
    ['hang', 'CAMERA_UNREACHABLE', /did not answer within 1500 ms/],
    ['drip', 'CAMERA_UNREACHABLE', /did not answer within 1500 ms/],
    ['wrong-element', 'CAMERA_BAD_RESPONSE', /expected \{.*\}GetCapabilitiesResponse/],
    ['bad-values', 'CAMERA_BAD_RESPONSE', /unexpected GetCapabilities answer/],
    ['not-utf8', 'CAMERA_BAD_RESPONSE', /not valid UTF-8/],
    ['deep-nesting', 'CAMERA_BAD_RESPONSE', /./],
    ['html-500', 'CAMERA_BAD_RESPONSE', /malformed XML|HTTP 500/],
  ];

  it.each(cases)('%s -> %s', async (mode, code, message) => {
    const err = await adapter()
      .connect({ xaddr: `${base}/${mode}/onvif/device_service`, user: 'admin', password: 'pw' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe(code);
    expect((err as GatewayError).message).toMatch(message);
  });

  it('the billion laughs never reach xml2js: node-onvif only sees checked answers', async () => {
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 5; i++) {
      await adapter()
        .connect({ xaddr: `${base}/billion-laughs/onvif/device_service`, user: 'a', password: 'b' })
        .catch(() => {});
    }
    // An expansion would be 10^9 characters; allow ordinary garbage.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(200 * 1024 * 1024);
  });
});

describe('the gateway survives a hostile camera', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ cameras: { soapTimeoutMs: 1500, soapMaxBytes: 256 * 1024, healthPollS: 600 } });
  });
  afterAll(() => gw?.stop());

  it('refuses to add it with a typed error and keeps answering', async () => {
    const manager = await gw.as('equipment-manager');
    for (const mode of ['huge-chunked', 'billion-laughs', 'soap11-namespace', 'hang'] as Mode[]) {
      const r = await manager.post('/api/cameras', {
        xaddr: `${base}/${mode}/onvif/device_service`,
        user: 'admin',
        password: 'pw',
      });
      expect(r.status, mode).toBe(503);
      expect(['CAMERA_BAD_RESPONSE', 'CAMERA_UNREACHABLE']).toContain(r.body.error.code);
    }
    expect((await manager.get('/api/me')).status).toBe(200);
    expect((await manager.get('/api/cameras')).body).toEqual([]);
  });
});

describe('WS-Discovery answers are checked too', () => {
  const id = 'urn:uuid:11111111-2222-4333-8444-555555555555';
  const WSA = 'http://schemas.xmlsoap.org/ws/2004/08/addressing';
  const WSD = 'http://schemas.xmlsoap.org/ws/2005/04/discovery';
  const match = (relatesTo: string, types = 'dn:NetworkVideoTransmitter') =>
    Buffer.from(
      `<?xml version="1.0"?><s:Envelope xmlns:s="${ENV}" xmlns:a="${WSA}" xmlns:d="${WSD}" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">` +
        `<s:Header><a:RelatesTo>${relatesTo}</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch>` +
        `<a:EndpointReference><a:Address>urn:uuid:cam-1</a:Address></a:EndpointReference><d:Types>${types}</d:Types>` +
        `<d:Scopes>onvif://www.onvif.org/name/Room_7 onvif://www.onvif.org/hardware/X1</d:Scopes>` +
        `<d:XAddrs>http://127.0.0.9:8080/onvif/device_service</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>` +
        `</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>`,
    );

  it('accepts a proper ProbeMatches for our probe only', () => {
    const got = parseProbeMatches(match(id), '127.0.0.9', id);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      urn: 'urn:uuid:cam-1',
      name: 'Room 7',
      hardware: 'X1',
      address: '127.0.0.9',
    });
    expect(parseProbeMatches(match('urn:uuid:someone-else'), '127.0.0.9', id)).toEqual([]);
    expect(parseProbeMatches(match(id, 'dn:NetworkVideoDisplay'), '127.0.0.9', id)).toEqual([]);
  });

  it('refuses DTDs and malformed datagrams with a typed error', () => {
    expect(() => parseProbeMatches(Buffer.from(LAUGHS), '127.0.0.9', id)).toThrow(GatewayError);
    expect(() => parseProbeMatches(Buffer.from('<s:Envelope'), '127.0.0.9', id)).toThrow(/malformed/);
  });
});
