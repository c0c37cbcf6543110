/**
 * `npm run bench -- central [--offices 100] [--recorders 50] [--hours 1] [--rounds 3]`: one central
 * against a province of simulated offices (gateway/central/sim-office.ts: the real upstream bridge
 * and outbox, a synthetic fleet and audit log) in virtual time, through Debian's mosquitto with
 * TLS, passwords and the per-office ACL (test/helpers/mosquitto.ts).
 *
 * Each round, with both consumers offline, every office lives `--hours` virtual hours: a health
 * snapshot of its whole fleet each virtual minute, a fleet step (interruptions, alerts) each
 * virtual minute, a signed checkpoint with its consistency proof each virtual hour. The broker
 * queues all of it for two persistent sessions. Then, timed from connect to the last message:
 *   A = `gateway central` (its own process): parse, order/de-duplicate, witness, LevelDB, PUBACK;
 *   B = the baseline at the broker's limit: a plain mqtt.js subscriber (own process) that only
 *       counts and acknowledges the same queued messages.
 * A B A B… interleaved per round (same bytes, same broker, same TLS). Prints one JSON line:
 * central_msgs_per_s, plain_msgs_per_s (medians), their ratio, spreads, the message mix, central's
 * RSS, and what was left out (duplicates, missing, forks).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt from 'mqtt';
import { CentralApp } from '../gateway/central/app.js';
import { parseCentralConfig } from '../gateway/central/config.js';
import { officeName } from '../gateway/central/demo.js';
import { SimOffice } from '../gateway/central/sim-office.js';
import { prng } from '../gateway/compliance/seed.js';
import { createLogger } from '../gateway/log.js';
import { ALL_OFFICES } from '../protocol/upstream/topics.js';
import { startBroker } from '../test/helpers/mosquitto.js';
import { fields, machine, ratioOfMedians, round2, spread } from './lib/rounds.js';

type Msg = { type: string; [k: string]: unknown };
const self = fileURLToPath(import.meta.url);
const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
};

// ---- children -----------------------------------------------------------------------------------

/** Modules are loaded when a child says ready; the clock starts at `go` (connect, catch up). */
function onGo(start: () => Promise<void>): void {
  process.on('message', (m: Msg) => {
    if (m.type === 'go') void start().then(() => process.send!({ type: 'go:reply' }));
  });
  process.send!({ type: 'ready' });
}

async function centralChild(dir: string, url: string, pw: string, ca: string): Promise<void> {
  const app = new CentralApp({
    config: parseCentralConfig({
      dataDir: dir,
      logLevel: 'silent',
      http: { host: '127.0.0.1', port: 0 },
      broker: { url, passwordFile: pw, caFile: ca, clientId: 'central' },
    }),
    log: createLogger({ level: 'silent' }),
  });
  onGo(async () => {
    await app.start();
    await app.link.ready(120_000);
  });
  process.on('message', (m: Msg) => {
    if (m.type === 'count' && !app.ledger) process.send!({ type: 'count:reply', count: 0 });
    else if (m.type === 'count') {
      process.send!({
        type: 'count:reply',
        count: app.ledger.messages + app.ledger.duplicates,
        duplicates: app.ledger.duplicates,
        batches: app.ledger.batches,
        cpuS: round2(process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6),
        missing: app.ledger.list().reduce((a, v) => a + (v.sequence?.missing ?? 0), 0),
        forks: app.ledger.list().filter((v) => v.custody?.status === 'fork').length,
        rejected: app.link.rejected,
        rssMb: round2(process.memoryUsage().rss / 1024 ** 2),
      });
    }
    if (m.type === 'stop') void app.stop().then(() => process.exit(0));
  });
}

async function plainChild(url: string, pw: string, ca: string): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  let client: mqtt.MqttClient | undefined;
  let count = 0;
  onGo(async () => {
    client = mqtt.connect(url, {
      protocolVersion: 4,
      clientId: 'plain',
      username: 'central',
      password: (await readFile(pw, 'utf8')).trim(),
      ca: await readFile(ca),
      clean: false,
      reconnectPeriod: 0,
    });
    client.on('message', () => {
      count++;
    });
    const c = client;
    const ack = await new Promise<{ sessionPresent: boolean }>((r) => c.once('connect', r));
    if (!ack.sessionPresent) await c.subscribeAsync(ALL_OFFICES, { qos: 1 });
  });
  process.on('message', (m: Msg) => {
    if (m.type === 'count') process.send!({ type: 'count:reply', count });
    if (m.type === 'stop') void (client?.endAsync() ?? Promise.resolve()).then(() => process.exit(0));
  });
}

// ---- parent -------------------------------------------------------------------------------------

function ask(child: ChildProcess, type: string): Promise<Msg> {
  return new Promise((resolve) => {
    const on = (m: Msg) => {
      if (m.type === `${type}:reply` || (type === 'ready' && m.type === 'ready')) {
        child.off('message', on);
        resolve(m);
      }
    };
    child.on('message', on);
    if (type !== 'ready') child.send({ type });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.send({ type: 'stop' });
  await exited;
}

/** Starts a consumer and times it from launch to its count (this process's, from 0) reaching `expected`. */
async function drain(
  role: 'central' | 'plain',
  args: string[],
  expected: number,
): Promise<{ seconds: number; last: Msg }> {
  // BENCH_CPU_PROF=<dir>: central's V8 CPU profile (NODE_OPTIONS may not carry --cpu-prof).
  const prof = process.env.BENCH_CPU_PROF;
  const child = fork(self, [role, ...args], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [
      ...process.execArgv,
      ...(prof && role === 'central' ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    ],
  });
  await ask(child, 'ready');
  const t0 = performance.now();
  await ask(child, 'go');
  let last: Msg;
  for (;;) {
    last = await ask(child, 'count');
    if (process.env.BENCH_DEBUG) process.stderr.write(`${role} ${JSON.stringify(last)}\n`);
    if ((last.count as number) >= expected) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - t0) / 1000;
  await stopChild(child);
  return { seconds, last };
}

async function main(): Promise<void> {
  const offices = arg('offices', 100);
  const recorders = arg('recorders', 50);
  const hours = arg('hours', 1);
  const rounds = arg('rounds', 3);
  const at = machine();
  const names = Array.from({ length: offices }, (_, i) => officeName(i));
  const broker = await startBroker(['central', ...names]);
  const dir = await mkdtemp(join(tmpdir(), 'bench-central-'));
  const log = createLogger({ level: 'silent' });
  const common = [broker.url, broker.passwordFile('central'), broker.caFile];
  const sims: SimOffice[] = [];
  let virtual = Date.parse('2026-12-07T00:00:00Z');
  const random = prng(100);
  try {
    // Both persistent sessions exist before the first message, so the broker queues for them.
    await drain('central', [join(dir, 'central'), ...common], 0);
    await drain('plain', common, 0);
    for (const office of names) {
      const sim = new SimOffice({
        office,
        recorders,
        dir: join(dir, 'offices', office),
        url: broker.url,
        passwordFile: broker.passwordFile(office),
        caFile: broker.caFile,
        log,
        now: () => virtual,
        random,
        inflight: 32,
      });
      await sim.start();
      sims.push(sim);
    }
    while (!sims.every((s) => s.bridge.connected)) await new Promise((r) => setTimeout(r, 50));
    process.stderr.write(`${offices} offices × ${recorders} recorders connected\n`);
    const central: number[] = [];
    const plain: number[] = [];
    let total = 0;
    let bytes = 0;
    let last: Msg = { type: '' };
    for (let r = 0; r < rounds; r++) {
      const before = sims.reduce((a, s) => a + s.bridge.outbox.lastSeq, 0);
      const g0 = performance.now();
      for (let minute = 0; minute < hours * 60; minute++) {
        virtual += 60_000;
        await Promise.all(
          sims.map(async (s) => {
            s.step();
            await s.bridge.queueHealth();
            if ((minute + 1) % 60 === 0) await s.checkpoint();
          }),
        );
        if (minute === 0 && r === 0) {
          bytes = JSON.stringify(sims[0]!.snapshot()).length;
        }
      }
      const round = sims.reduce((a, s) => a + s.bridge.outbox.lastSeq, 0) - before;
      while (sims.some((s) => s.bridge.outbox.depth > 0)) await new Promise((res) => setTimeout(res, 50));
      total += round;
      process.stderr.write(
        `round ${r + 1}: ${round} messages published and queued by the broker in ${round2((performance.now() - g0) / 1000)} s\n`,
      );
      const a = await drain('central', [join(dir, 'central'), ...common], round);
      central.push(round / a.seconds);
      last = a.last;
      const b = await drain('plain', common, round);
      plain.push(round / b.seconds);
      process.stderr.write(
        `  central ${round2(round / a.seconds)} msg/s (${round2(a.seconds)} s), plain ${round2(round / b.seconds)} msg/s (${round2(b.seconds)} s)\n`,
      );
    }
    console.log(
      JSON.stringify({
        bench: 'central',
        offices,
        recorders_per_office: recorders,
        virtual_hours_per_round: hours,
        messages_per_round: Math.round(total / rounds),
        health_bytes: bytes,
        message_mix: {
          health: offices * hours * 60,
          checkpoint: offices * Math.floor(hours),
          events_and_alerts: Math.round(total / rounds) - offices * hours * 60 - offices * Math.floor(hours),
        },
        central_msgs_per_s: round2(spread(central).median),
        plain_msgs_per_s: round2(spread(plain).median),
        ratio: ratioOfMedians(central, plain),
        ...fields('central_msgs_per_s', central),
        ...fields('plain_msgs_per_s', plain),
        central_rss_mb: last.rssMb,
        central_synced_batches: last.batches,
        central_cpu_s: last.cpuS,
        duplicates: last.duplicates,
        missing: last.missing,
        forks: last.forks,
        rejected: last.rejected,
        rounds,
        ...at,
      }),
    );
  } finally {
    for (const s of sims) await s.stop().catch(() => {});
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'central') await centralChild(rest[0]!, rest[1]!, rest[2]!, rest[3]!);
else if (role === 'plain') await plainChild(rest[0]!, rest[1]!, rest[2]!);
else await main();
