/** MQTT over TLS when the config names a certificate and key (issue #3). */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { topics } from '../../protocol/mqtt/topics.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { register, run, telemetry } from './mqtt-helpers.js';

let dir: string;
let gw: TestGateway;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = await run('openssl', [
    ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost'],
    ...['-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
  ]);
  expect(r.code).toBe(0);
  gw = await startGateway({ mqtt: { tls: { certFile: cert, keyFile: key, port: 0 } } });
});
afterAll(async () => {
  await gw?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('accepts a recorder over TLS with its credential and refuses a wrong one', async () => {
  const serial = 'TLS-1';
  const password = await register(gw, serial);
  const ca = await readFile(join(dir, 'cert.pem'));
  const url = `mqtts://127.0.0.1:${gw.app.field.broker.tlsPort}`;
  const base = { protocolVersion: 4 as const, clientId: serial, username: serial, reconnectPeriod: 0, ca };
  const c = await mqtt.connectAsync(url, { ...base, password });
  await c.publishAsync(
    topics.telemetry(serial),
    Buffer.from(JSON.stringify(telemetry({ firmware: '3.0.0-tls' }))),
  );
  await waitFor(
    () => gw.app.field.health.get(serial)?.telemetry?.firmware === '3.0.0-tls',
    'telemetry over TLS',
  );
  await c.endAsync(true);
  await expect(mqtt.connectAsync(url, { ...base, password: 'wrong' })).rejects.toMatchObject({ code: 4 });
  // An untrusted certificate is refused by the client: the link is really TLS.
  await expect(
    mqtt.connectAsync(url, { ...base, ca: undefined, password, connectTimeout: 3000 }),
  ).rejects.toThrow(/self[- ]signed|certificate/i);
});
