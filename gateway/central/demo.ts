/**
 * `gateway central --demo`: the province's view with simulated offices, in one command. A loopback
 * broker with the namespace rule (demo-broker.ts), central itself, and N simulated offices whose
 * real upstream bridges send fleet health, interruptions, alerts and signed checkpoints. The last
 * office rewrites an old log entry after a while: central shows it as a fork. Logins and broker
 * passwords are made on first start and kept in `<dataDir>/demo-secrets.json`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { prng } from '../compliance/seed.js';
import { createLogger } from '../log.js';
import { CentralApp } from './app.js';
import { type CentralConfig, parseCentralConfig } from './config.js';
import { DemoBroker } from './demo-broker.js';
import { SimOffice } from './sim-office.js';

export interface CentralDemoOptions {
  offices: number;
  recorders: number;
}

interface Secrets {
  login: { username: string; password: string };
  broker: Record<string, string>;
}

const CITIES = [
  'hangzhou',
  'ningbo',
  'wenzhou',
  'jiaxing',
  'huzhou',
  'shaoxing',
  'jinhua',
  'quzhou',
  'zhoushan',
  'taizhou',
  'lishui',
];

export const officeName = (i: number) => (i < CITIES.length ? CITIES[i]! : `office-${i + 1}`);

export async function runCentralDemo(base: CentralConfig, o: CentralDemoOptions): Promise<void> {
  const dataDir = resolve(base.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const secretsFile = join(dataDir, 'demo-secrets.json');
  const secret = () => randomBytes(9).toString('base64url');
  let secrets: Secrets;
  try {
    secrets = JSON.parse(await readFile(secretsFile, 'utf8')) as Secrets;
  } catch {
    secrets = { login: { username: 'province', password: secret() }, broker: {} };
  }
  const offices = Array.from({ length: o.offices }, (_, i) => officeName(i));
  for (const name of ['central', ...offices]) secrets.broker[name] ??= secret();
  await writeFile(secretsFile, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  const pwFile = async (name: string) => {
    const f = join(dataDir, 'demo-broker', `${name}.pw`);
    await mkdir(join(dataDir, 'demo-broker'), { recursive: true, mode: 0o700 });
    await writeFile(f, secrets.broker[name]!, { mode: 0o600 });
    return f;
  };

  const log = createLogger({ level: base.logLevel });
  const broker = new DemoBroker();
  for (const [name, pw] of Object.entries(secrets.broker)) broker.addUser(name, pw);
  await broker.start();
  const { url, caFile } = broker;
  const config = parseCentralConfig({
    ...base,
    dataDir,
    broker: { ...base.broker, url, caFile, username: 'central', passwordFile: await pwFile('central') },
  });
  const central = new CentralApp({ config, log });
  await central.start();
  await central.link.ready();
  const { username, password } = secrets.login;
  if (!(await central.users.get(username))) {
    await central.users.add({ username, displayName: '省局监督员', roles: ['provincial'], password }, 'demo');
  }

  const random = prng(16);
  const sims: SimOffice[] = [];
  for (const office of offices) {
    const sim = new SimOffice({
      office,
      recorders: o.recorders,
      dir: join(dataDir, 'sim-offices', office),
      url,
      passwordFile: await pwFile(office),
      caFile,
      log: log.child({ office }),
      now: Date.now,
      random,
      healthEveryS: 15,
    });
    await sim.start();
    sims.push(sim);
    for (let i = 0; i < 5; i++) sim.step();
    await sim.checkpoint();
    await sim.bridge.queueHealth();
  }
  const timers: NodeJS.Timeout[] = [];
  timers.push(setInterval(() => sims[Math.floor(random() * sims.length)]?.step(), 2000));
  timers.push(setInterval(() => void Promise.all(sims.map((s) => s.checkpoint())), 30_000));
  const forger = sims.at(-1);
  if (forger && sims.length > 1) timers.push(setTimeout(() => forger.rewriteHistory(), 50_000));

  console.log(
    `\n  Province view: http://localhost:${central.httpPort}/\n  Broker (demo, loopback, TLS): ${url}\n` +
      `  ${sims.length} simulated offices × ${o.recorders} recorders; ${forger?.office ?? '-'} rewrites its history after ~1 min\n` +
      `  Login (also in ${secretsFile}): ${username} ${password}\n`,
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const t of timers) clearInterval(t);
    for (const s of sims) await s.stop();
    await central.stop();
    await broker.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
