/**
 * `gateway central --demo`'s broker speaks TLS like production (PROTOCOL.md §7): a certificate
 * made at start, given to central and the simulated offices as their CA; plain MQTT and clients
 * that do not trust it are refused, the namespace rule holds, and the certificate's dir goes at stop.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentralApp } from '../../gateway/central/app.js';
import { parseCentralConfig } from '../../gateway/central/config.js';
import { DemoBroker } from '../../gateway/central/demo-broker.js';
import { SimOffice } from '../../gateway/central/sim-office.js';
import { prng } from '../../gateway/compliance/seed.js';
import { createLogger } from '../../gateway/log.js';
import { waitFor } from '../helpers/wait.js';

const log = createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
let dir: string;
let broker: DemoBroker;
let central: CentralApp;
let sim: SimOffice;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'central-demo-'));
  broker = new DemoBroker();
  for (const u of ['central', 'hangzhou']) {
    broker.addUser(u, `pw-${u}`);
    await writeFile(join(dir, `${u}.pw`), `pw-${u}`, { mode: 0o600 });
  }
  await broker.start();
  central = new CentralApp({
    config: parseCentralConfig({
      dataDir: join(dir, 'central'),
      http: { host: '127.0.0.1', port: 0 },
      broker: { url: broker.url, caFile: broker.caFile, passwordFile: join(dir, 'central.pw') },
    }),
    log,
  });
  await central.start();
  await central.link.ready();
  sim = new SimOffice({
    office: 'hangzhou',
    recorders: 5,
    dir: join(dir, 'hangzhou'),
    url: broker.url,
    passwordFile: join(dir, 'hangzhou.pw'),
    caFile: broker.caFile,
    log,
    now: Date.now,
    random: prng(1),
    healthEveryS: 3600,
  });
  await sim.start();
}, 60_000);

afterAll(async () => {
  await sim?.stop();
  await central?.stop();
  await broker?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the demo province broker', () => {
  it('carries a simulated office to central over TLS', async () => {
    expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    await sim.bridge.queueHealth();
    await sim.checkpoint();
    await waitFor(() => central.ledger.get('hangzhou')?.custody?.status === 'first', 'checkpoint at central');
    expect(central.ledger.get('hangzhou')?.health?.recorders).toHaveLength(5);
  });

  it('refuses plain MQTT and clients that do not trust its certificate', async () => {
    const login = {
      username: 'hangzhou',
      password: 'pw-hangzhou',
      reconnectPeriod: 0,
      protocolVersion: 4 as const,
    };
    /** How a client's first attempt ends: connected, or the error or close that ended it. */
    const attempt = (url: string) =>
      new Promise<string>((resolve) => {
        const c = mqtt.connect(url, { ...login, connectTimeout: 10_000 });
        const end = (how: string) => {
          c.end(true);
          resolve(how);
        };
        c.once('connect', () => end('connected'));
        c.once('error', (err) => end(`error: ${err.message}`));
        c.once('close', () => end('closed'));
      });
    expect(await attempt(`mqtt://127.0.0.1:${broker.port}`)).not.toBe('connected');
    expect(await attempt(broker.url)).toMatch(/self[- ]signed|certificate/i);
  });

  it('removes its certificate and key at stop', async () => {
    const certDir = dirname(broker.caFile);
    expect(existsSync(join(certDir, 'broker.key'))).toBe(true);
    const other = new DemoBroker();
    await other.start();
    const otherDir = dirname(other.caFile);
    await other.stop();
    expect(existsSync(otherDir)).toBe(false);
  });
});
