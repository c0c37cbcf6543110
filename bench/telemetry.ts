/**
 * `npm run bench -- telemetry [--scenario steady|storm] [--recorders N] [--seconds S]`.
 *
 * 1. The gateway runs in a child process (so its CPU and RSS are its own) with N registered
 *    recorders connected over MQTT, each sending telemetry at 1 Hz plus session events.
 *    `--scenario` sets their batteries (batteryPct): `steady` (default) a realistic drain, measured
 *    8 s after the last recorder connected; `storm` a drain that makes every recorder raise
 *    `battery-forecast` in the same second, measured over the ≥ 20 s around that second.
 *    `fleet_alerts_in_window` counts the fleet-rule alerts raised while measuring.
 *    Measured over S seconds: the gateway's CPU % of one core and RSS, and the R19 alert latency
 *    under that load: 10 probes/s, each a `recording-stopped` (canContinue false) from one of 10
 *    prober recorders, timed from publishing to the `alert.raised` on the live stream
 *    (/api/events, SSE), both in a separate prober process.
 *    Then, the recorders still connected, a 10 s oversize flood (bench/oversize-flood.ts:
 *    payloads over 16 KiB, CONNECTs declaring 250 MB, packets over the broker's maximum) and,
 *    10 s after it, the gateway's RSS again: `rss_after_flood_mb` next to `rss_mb`.
 * 2. Flood to saturation, `--rounds` interleaved rounds (gateway, baseline, limit, gateway, …) of
 *    `--flood-seconds` each after a 1 s warm-up: 4 publishers (mqtt.js, QoS 0) send telemetry as
 *    fast as TCP takes it. Counted on each side where the work is done, sampled at the same
 *    boundaries (after the warm-up, at the end): messages validated and processed per second.
 *    - gateway: its broker hook validates and does the fleet bookkeeping (`processed`).
 *    - baseline: what a user would build instead: Debian's mosquitto as shipped, plus a consumer
 *      service (its own Node process, one mqtt.js subscriber on rec/v1/+/telemetry) doing the same
 *      work per message: topic parse, the protocol's zod decoder, the same FleetHealth (and alert
 *      rules) with the same LevelDB batching. `ratio` = gateway ÷ baseline, from medians.
 *    - limit: mosquitto's raw routing to `mosquitto_sub` (C) on another mosquitto instance:
 *      `broker_limit_msgs_per_s`, `ratio_limit`. Each baseline side drains its backlog before the
 *      next round starts.
 * Prints one JSON line on stdout; diagnostics (memory, CPU per message, latencies, load average)
 * go to stderr. Experiments: BENCH_GW_CONFIG (JSON merged into the gateway's config) and
 * BENCH_GW_NODE_FLAGS (e.g. "--cpu-prof") apply to the gateway child.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { FLEET_RULES, type FleetRule } from '../gateway/fleet/rules.js';
import { encodePayload } from '../protocol/mqtt/decode.js';
import { PROTOCOL_VERSION, type Telemetry } from '../protocol/mqtt/messages.js';
import { anyRecorder, topics } from '../protocol/mqtt/topics.js';
import { fields, interleave, machine, ratioOfMedians, spread } from './lib/rounds.js';
import { oversizeFlood } from './oversize-flood.js';

const SELF = fileURLToPath(import.meta.url);
const FLOODERS = 4;
/** Prober recorders: R19 stops come from several recorders, as they would in the field. */
const PROBERS = Array.from({ length: 10 }, (_, i) => `PROBE-${i}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Msg = { type: string; [k: string]: unknown };

function request<T>(child: ChildProcess, msg: Msg): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Msg) => {
      if (m.type === `${msg.type}:reply`) {
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
    child.send(msg);
  });
}

/**
 * Battery level of recorder `r` (of `n`) at `elapsedMs` into the run. `steady`: a realistic fleet,
 * start levels spread over 60–100 % (recorders at different points of their shift), each draining
 * at its own rate spread over 10–15 %/h. `storm`: every battery drains at 360 %/h, so once the
 * forecasts have a minute of history (forecast.ts MIN_SPAN_MS) every recorder is forecast to run out
 * before its shift ends and raises `battery-forecast` in the same second.
 */
export function batteryPct(scenario: Scenario, r: number, n: number, elapsedMs: number): number {
  const u = n > 1 ? r / (n - 1) : 0;
  const [start, perH] = scenario === 'storm' ? [90, 360] : [60 + 40 * u, 10 + 5 * ((u * 7) % 1)];
  return Math.max(0, Math.round((start - (perH * elapsedMs) / 3600_000) * 10) / 10);
}

const SCENARIOS = ['steady', 'storm'] as const;
type Scenario = (typeof SCENARIOS)[number];

function telemetryPayload(i: number, at = Date.now(), batteryPctNow = 90 - (i % 500) / 10): Buffer {
  const t: Telemetry = {
    v: PROTOCOL_VERSION,
    at,
    state: 'recording',
    battery: { pct: batteryPctNow, voltageMv: 3800, charging: false, tempC: 31.5 },
    storage: { totalBytes: 64_000_000_000, freeBytes: 40_000_000_000 - i * 1000 },
    position: { lat: 32.0603, lon: 118.7969, accM: 8 },
    signalDbm: -71,
    firmware: '2.3.1',
    sessionId: 'S-bench-0001',
  };
  return encodePayload(t);
}

function connectClient(port: number, opts: mqtt.IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 120_000, // a loaded machine answers 5000 CONNECTs slowly
    keepalive: 60,
    ...opts,
  });
}

// ---------------------------------------------------------------------------------------------
// Child: the gateway.
async function gatewayChild(dataDir: string, recorders: number): Promise<void> {
  const { GatewayApp } = await import('../gateway/app.js');
  const { parseConfig } = await import('../gateway/config.js');
  const { createLogger } = await import('../gateway/log.js');
  if (!process.env.BENCH_GW_DEFAULT_HEAP) (await import('../gateway/heap.js')).tuneHeap();
  const config = parseConfig({
    dataDir,
    logLevel: 'error',
    // Every simulated recorder connects from 127.0.0.1; in the field they come from many addresses.
    mqtt: { host: '127.0.0.1', port: 0, connectRate: { burst: 100_000, perSecond: 100_000 } },
    http: { host: '127.0.0.1', port: 0 },
    ...JSON.parse(process.env.BENCH_GW_CONFIG ?? '{}'),
  });
  const app = new GatewayApp({ config, log: createLogger({ level: 'error' }) });
  await app.start();
  const creds: Record<string, string> = {};
  const serials = [
    ...Array.from({ length: recorders }, (_, i) => `BENCH-${String(i).padStart(5, '0')}`),
    ...Array.from({ length: FLOODERS }, (_, i) => `FLOOD-${i}`),
    ...PROBERS,
  ];
  for (const s of serials) creds[s] = (await app.field.registry.register({ serial: s }, 'bench')).credential;
  await app.users.add({
    username: 'bench-principal',
    displayName: 'bench',
    roles: ['principal'],
    password: 'bench-password',
  });
  const { token } = await app.users.login('bench-principal', 'bench-password');
  const { monitorEventLoopDelay } = await import('node:perf_hooks');
  const loop = monitorEventLoopDelay({ resolution: 5 });
  /** Alerts raised, by rule: how many fleet-rule alerts a measuring window had to share the gateway with. */
  const raised: Record<string, number> = {};
  app.bus.on('alert.raised', (a) => {
    raised[a.rule] = (raised[a.rule] ?? 0) + 1;
  });
  loop.enable();
  let rssMax = 0;
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
  }, 250);
  process.on('message', async (m: Msg) => {
    if (m.type === 'stats') {
      const rss = process.memoryUsage().rss;
      rssMax = Math.max(rssMax, rss);
      process.send!({
        type: 'stats:reply',
        processed: app.field.broker.stats().processed,
        connected: app.field.broker.stats().connected,
        guard: app.field.broker.stats().guard,
        cpuUs: process.cpuUsage().user + process.cpuUsage().system,
        t: performance.now(),
        rss,
        rssMax,
        mem: process.memoryUsage(),
        loopP50Ms: loop.percentile(50) / 1e6,
        loopP99Ms: loop.percentile(99) / 1e6,
        loopMaxMs: loop.max / 1e6,
        raised: { ...raised },
      });
      if (m.resetRss) {
        rssMax = rss;
        loop.reset();
      }
    } else if (m.type === 'stop') {
      clearInterval(sampler);
      await app.stop();
      process.send!({ type: 'stop:reply' });
      process.exit(0);
    }
  });
  process.send!({ type: 'ready', mqttPort: app.mqttPort, httpPort: app.httpPort, creds, token });
}

// Child: alert-latency prober (publishes R19 stops, reads the live stream).
async function proberChild(
  mqttPort: number,
  httpPort: number,
  token: string,
  passwords: string[],
): Promise<void> {
  const clients = await Promise.all(
    PROBERS.map((s, i) => connectClient(mqttPort, { clientId: s, username: s, password: passwords[i] })),
  );
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  /**
   * Live-stream events received, by name. A client too slow for the gateway is cut off
   * (api/server.ts MAX_PENDING_SSE); like the dashboard's EventSource, the prober reconnects, and
   * alerts raised meanwhile count as not seen.
   */
  const seen: Record<string, number> = {};
  let cutoffs = 0;
  const ac = new AbortController();
  const read = async (res: Response) => {
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += dec.decode(chunk, { stream: true });
      let i = buf.indexOf('\n\n');
      while (i >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const name = block.startsWith('event: ') ? block.slice(7, block.indexOf('\n')) : '?';
        seen[name] = (seen[name] ?? 0) + 1;
        if (block.startsWith('event: alert.raised')) {
          const data = JSON.parse(block.slice(block.indexOf('data:') + 5).split('\n')[0]!);
          const t0 = sent.get(data.details?.sessionId);
          if (t0 !== undefined) {
            latencies.push(performance.now() - t0);
            sent.delete(data.details.sessionId);
          }
        }
        i = buf.indexOf('\n\n');
      }
    }
  };
  const connected = (async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: ac.signal,
    });
    void (async () => {
      for (let r = res; ; ) {
        await read(r).catch(() => undefined);
        if (ac.signal.aborted) return;
        cutoffs++;
        await sleep(500);
        r = await fetch(`http://127.0.0.1:${httpPort}/api/events`, {
          headers: { authorization: `Bearer ${token}` },
          signal: ac.signal,
        }).catch(() => r);
      }
    })();
  })();
  await connected;
  let timer: NodeJS.Timeout | undefined;
  let n = 0;
  process.on('message', (m: Msg) => {
    if (m.type === 'start') {
      timer = setInterval(() => {
        const sessionId = `P${++n}`;
        const k = n % PROBERS.length;
        const at = Date.now();
        const body = {
          v: 1,
          id: `probe-${n}`,
          seq: n,
          at,
          type: 'recording-stopped',
          sessionId,
          cause: 'battery',
          canContinue: false,
        };
        sent.set(sessionId, performance.now());
        clients[k]!.publish(topics.event(PROBERS[k]!), encodePayload(body), { qos: 1 });
      }, Number(m.everyMs));
    } else if (m.type === 'stop') {
      clearInterval(timer);
      // Let the last ones arrive.
      setTimeout(() => {
        ac.abort();
        process.send!({ type: 'stop:reply', latencies, lost: sent.size, seen, cutoffs });
        void Promise.all(clients.map((c) => c.endAsync(true))).then(() => process.exit(0));
      }, 1000);
    }
  });
  process.send!({ type: 'ready' });
}

// Child: the baseline's consumer service, what a user would run beside mosquitto: one mqtt.js
// subscriber doing the gateway's work per message (topic check, the protocol's zod decoders, the
// same FleetHealth bookkeeping with its LevelDB batching and alert rules).
async function consumerChild(port: number, dataDir: string): Promise<void> {
  const { openDb } = await import('../gateway/db.js');
  const { EventBus } = await import('../gateway/events.js');
  const { AlertService } = await import('../gateway/alerts/service.js');
  const { FleetHealth } = await import('../gateway/fleet/health.js');
  const { parseConfig } = await import('../gateway/config.js');
  const { createLogger } = await import('../gateway/log.js');
  const { decodePayload } = await import('../protocol/mqtt/decode.js');
  const { parseTopic } = await import('../protocol/mqtt/topics.js');
  const config = parseConfig({ dataDir, logLevel: 'error' });
  const log = createLogger({ level: 'error' });
  const db = await openDb(join(dataDir, 'db'));
  const bus = new EventBus(log);
  const alerts = new AlertService({ db, bus, log });
  await alerts.start();
  const health = new FleetHealth({ db, bus, log, alerts, config: config.fleet, mqtt: config.mqtt });
  await health.start();
  const client = await connectClient(port, { clientId: `bench-consumer-${process.pid}` });
  let processed = 0;
  let rejected = 0;
  client.on('message', (topic, payload) => {
    const receivedAt = Date.now();
    const t = parseTopic(topic);
    if (t?.kind !== 'telemetry') return void rejected++;
    const d = decodePayload('telemetry', payload);
    if (!d.ok) return void rejected++;
    processed++;
    health.telemetry(t.serial, d.value, receivedAt);
  });
  await client.subscribeAsync(anyRecorder('telemetry'), { qos: 0 });
  process.on('message', async (m: Msg) => {
    if (m.type === 'count') {
      const cpu = process.cpuUsage();
      process.send!({
        type: 'count:reply',
        count: processed,
        rejected,
        t: performance.now(),
        cpuUs: cpu.user + cpu.system,
      });
    }
    if (m.type === 'stop') {
      await client.endAsync(true);
      await health.stop();
      await db.close();
      process.exit(0);
    }
  });
  process.send!({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// Parent.

function forkRole(...args: string[]): ChildProcess {
  const extra =
    args[0] === 'gateway' && process.env.BENCH_GW_NODE_FLAGS
      ? process.env.BENCH_GW_NODE_FLAGS.split(' ')
      : [];
  return fork(SELF, ['--role', ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...extra],
  });
}

async function ready(child: ChildProcess): Promise<Msg> {
  const [m] = (await once(child, 'message')) as [Msg];
  if (m.type !== 'ready') throw new Error(`child said ${m.type}`);
  return m;
}

/** Publishes QoS 0 as fast as the socket takes it, until `stop()`. */
function flood(client: MqttClient, topic: string, payloads: Buffer[]): { stop: () => Promise<number> } {
  let running = true;
  let sent = 0;
  const stream = (client as unknown as { stream: NodeJS.WritableStream & { writableLength: number } }).stream;
  const done = (async () => {
    while (running) {
      for (let k = 0; k < 200; k++) client.publish(topic, payloads[sent++ % payloads.length]!, { qos: 0 });
      if (stream.writableLength > 256 * 1024) await once(stream, 'drain');
      else await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return sent;
    },
  };
}

async function floodRate(
  clients: MqttClient[],
  topicsFor: string[],
  seconds: number,
  count: () => Promise<{ n: number; t: number; cpuUs: number }>,
): Promise<{ rate: number; cpuUsPerMsg: number }> {
  const payloads = Array.from({ length: 512 }, (_, i) => telemetryPayload(i));
  const floods = clients.map((c, i) => flood(c, topicsFor[i]!, payloads));
  await sleep(1000); // warm up
  const a = await count();
  await sleep(seconds * 1000);
  const b = await count();
  await Promise.all(floods.map((f) => f.stop()));
  return { rate: ((b.n - a.n) / (b.t - a.t)) * 1000, cpuUsPerMsg: (b.cpuUs - a.cpuUs) / (b.n - a.n) };
}

/** CPU time (user + system, µs) a process has used, from /proc (Linux). */
async function procCpuUs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1e6) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((res) => {
      const s = tcpConnect(port, '127.0.0.1', () => {
        s.end();
        res(true);
      });
      s.on('error', () => res(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listening on ${port}`);
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const round = (x: number | null, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

/** Debian's mosquitto as shipped, one plain listener. */
async function startMosquitto(dir: string, name: string): Promise<{ proc: ChildProcess; port: number }> {
  const port = await freePort();
  const conf = join(dir, `mosquitto-${name}.conf`);
  await writeFile(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n`);
  const proc = spawn('mosquitto', ['-c', conf], { stdio: 'ignore' });
  await waitForPort(port);
  return { proc, port };
}

/** mosquitto_sub (C) on every recorder's telemetry, printing "x\n" per message: counted by bytes. */
async function mosquittoSub(port: number): Promise<{ proc: ChildProcess; count: () => number }> {
  const proc = spawn(
    'mosquitto_sub',
    ['-h', '127.0.0.1', '-p', String(port), '-q', '0', '-t', anyRecorder('telemetry'), '-F', 'x'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let bytes = 0;
  proc.stdout!.on('data', (b: Buffer) => {
    bytes += b.length;
  });
  await sleep(500); // subscribed (a probe message would count against the first round)
  return { proc, count: () => bytes / 2 };
}

/** Waits until a counter stops moving (a subscriber's backlog drained). */
async function settled(count: () => Promise<number>): Promise<void> {
  let last = -1;
  for (let n = await count(); n !== last; n = await count()) {
    last = n;
    await sleep(300);
  }
}

async function main(
  scenario: Scenario,
  recorders: number,
  seconds: number,
  rounds: number,
  floodSeconds: number,
): Promise<void> {
  const host = machine();
  const dir = await mkdtemp(join(tmpdir(), 'bench-telemetry-'));
  const children: ChildProcess[] = [];
  const mosquittos: ChildProcess[] = [];
  const subs: ChildProcess[] = [];
  const steady: MqttClient[] = [];
  const timers: NodeJS.Timeout[] = [];
  try {
    // --- gateway, N recorders at 1 Hz -------------------------------------------------------
    const gw = forkRole('gateway', join(dir, 'gw'), String(recorders));
    children.push(gw);
    const info = (await ready(gw)) as Msg & {
      mqttPort: number;
      httpPort: number;
      creds: Record<string, string>;
      token: string;
    };
    const stats = () =>
      request<{
        processed: number;
        cpuUs: number;
        t: number;
        rss: number;
        rssMax: number;
        connected: number;
        raised: Record<string, number>;
      }>(gw, {
        type: 'stats',
      });

    const serials = Object.keys(info.creds).filter((s) => s.startsWith('BENCH-'));
    for (let i = 0; i < serials.length; i += 200) {
      const batch = serials.slice(i, i + 200);
      steady.push(
        ...(await Promise.all(
          batch.map((s) =>
            connectClient(info.mqttPort, { clientId: s, username: s, password: info.creds[s] }),
          ),
        )),
      );
    }
    // Each recorder: a session with recording, telemetry every second, a segment every minute.
    const t0 = Date.now();
    steady.forEach((c, i) => {
      const serial = serials[i]!;
      let seq = 0;
      const event = (body: Record<string, unknown>) =>
        c.publish(
          topics.event(serial),
          encodePayload({ v: 1, id: `${serial}-${seq}`, seq: seq++, at: Date.now(), ...body }),
          {
            qos: 1,
          },
        );
      event({ type: 'session-started', sessionId: 'S1', activity: 'inspection' });
      event({ type: 'marker', sessionId: 'S1', marker: 'notice-given' });
      event({ type: 'recording-started', sessionId: 'S1' });
      let n = 0;
      let segStart = Date.now();
      const offset = (i * 1000) / steady.length;
      const start = setTimeout(() => {
        const tick = setInterval(() => {
          c.publish(
            topics.telemetry(serial),
            telemetryPayload(n++, Date.now(), batteryPct(scenario, i, steady.length, Date.now() - t0)),
            {
              qos: 0,
            },
          );
          // Segments close at each recorder's own phase of the minute, as they do in the field.
          if ((n + i) % 60 === 0) {
            const end = Date.now();
            event({
              type: 'segment-closed',
              sessionId: 'S1',
              clipId: `${serial}-c${n}`,
              start: segStart,
              end,
              bytes: 97_500_000,
              sha256: 'b'.repeat(64),
            });
            segStart = end;
          }
        }, 1000);
        timers.push(tick);
      }, offset);
      timers.push(start);
    });
    const prober = forkRole(
      'prober',
      String(info.mqttPort),
      String(info.httpPort),
      info.token,
      PROBERS.map((s) => info.creds[s]).join(','),
    );
    children.push(prober);
    await ready(prober);
    // steady: all recorders in their 1 Hz rhythm, the connection ramp's garbage collected. storm:
    // the window spans the second the forecasts start (a minute of history) and all of them trip.
    const windowS = scenario === 'storm' ? Math.max(seconds, 20) : seconds;
    await sleep(scenario === 'storm' ? Math.max(0, t0 + 50_000 - Date.now()) : 8000);
    await request(gw, { type: 'stats', resetRss: true });
    const a = await stats();
    prober.send({ type: 'start', everyMs: 100 });
    await sleep(windowS * 1000);
    const b = await stats();
    const fleetAlerts = Object.entries(b.raised)
      .filter(([rule]) => FLEET_RULES.includes(rule as FleetRule))
      .reduce((sum, [rule, n]) => sum + n - (a.raised[rule] ?? 0), 0);
    const probe = await request<{
      latencies: number[];
      lost: number;
      seen: Record<string, number>;
      cutoffs: number;
    }>(prober, { type: 'stop' });
    console.error(`live stream (prober): ${probe.cutoffs} cut-offs; events ${JSON.stringify(probe.seen)}`);
    const diag = b as unknown as { mem: unknown; loopP50Ms: number; loopP99Ms: number; loopMaxMs: number };
    console.error('gateway memory at steady state', JSON.stringify(diag.mem));
    console.error(
      `alerts raised by rule, before the window ${JSON.stringify(a.raised)}, at its end ${JSON.stringify(b.raised)}`,
    );
    console.error(
      `gateway event-loop delay at steady state: p50 ${diag.loopP50Ms.toFixed(1)} ms, ` +
        `p99 ${diag.loopP99Ms.toFixed(1)} ms, max ${diag.loopMaxMs.toFixed(1)} ms`,
    );
    const cpuPct = ((b.cpuUs - a.cpuUs) / 1000 / (b.t - a.t)) * 100;
    const steadyRate = ((b.processed - a.processed) / (b.t - a.t)) * 1000;

    // --- oversize flood, the recorders still connected ---------------------------------------
    const floodCounts = await oversizeFlood(
      info.mqttPort,
      Array.from({ length: FLOODERS }, (_, i) => ({
        serial: `FLOOD-${i}`,
        password: info.creds[`FLOOD-${i}`]!,
      })),
      10,
    );
    await request(gw, { type: 'stats', resetRss: true });
    await sleep(10_000); // the flood's last connections closed, the steady load alone again
    const afterFlood = await stats();
    const flooded = afterFlood as unknown as { guard: unknown; mem: unknown };
    console.error(
      `oversize flood (10 s): ${JSON.stringify(floodCounts)}; broker guard ${JSON.stringify(flooded.guard)}; ` +
        `gateway memory after it ${JSON.stringify(flooded.mem)}`,
    );
    for (const t of timers) clearTimeout(t);
    await Promise.all(steady.map((c) => c.endAsync(true)));
    steady.length = 0;

    // --- flood rounds: gateway, mosquitto + consumer, mosquitto -> mosquitto_sub, interleaved --
    const flooders = await Promise.all(
      Array.from({ length: FLOODERS }, (_, i) => `FLOOD-${i}`).map((s) =>
        connectClient(info.mqttPort, { clientId: s, username: s, password: info.creds[s] }),
      ),
    );
    const floodTopics = flooders.map((_, i) => topics.telemetry(`FLOOD-${i}`));
    const baseline = await startMosquitto(dir, 'baseline');
    mosquittos.push(baseline.proc);
    const consumer = forkRole('consumer', String(baseline.port), join(dir, 'consumer'));
    children.push(consumer);
    await ready(consumer);
    const consumerCount = async () => {
      const c = await request<{ count: number; t: number; cpuUs: number }>(consumer, { type: 'count' });
      return { n: c.count, t: c.t, cpuUs: c.cpuUs + (await procCpuUs(baseline.proc.pid!)) };
    };
    const limit = await startMosquitto(dir, 'limit');
    mosquittos.push(limit.proc);
    const sub = await mosquittoSub(limit.port);
    subs.push(sub.proc);
    const pubsFor = (port: number) =>
      Promise.all(
        Array.from({ length: FLOODERS }, (_, i) => connectClient(port, { clientId: `bench-pub-${i}` })),
      );
    const [basePubs, limitPubs] = await Promise.all([pubsFor(baseline.port), pubsFor(limit.port)]);
    const cpuPerMsg = { gateway: [] as number[], baseline: [] as number[] };
    const rates = await interleave(rounds, {
      gateway: async () => {
        const r = await floodRate(flooders, floodTopics, floodSeconds, async () => {
          const s = await stats();
          return { n: s.processed, t: s.t, cpuUs: s.cpuUs };
        });
        cpuPerMsg.gateway.push(r.cpuUsPerMsg);
        return r.rate;
      },
      baseline: async () => {
        const r = await floodRate(basePubs, floodTopics, floodSeconds, consumerCount);
        cpuPerMsg.baseline.push(r.cpuUsPerMsg);
        await settled(async () => (await consumerCount()).n); // its backlog drained before the next side
        return r.rate;
      },
      limit: async () => {
        const r = await floodRate(limitPubs, floodTopics, floodSeconds, async () => ({
          n: sub.count(),
          t: performance.now(),
          cpuUs: await procCpuUs(limit.proc.pid!),
        }));
        await settled(async () => sub.count());
        return r.rate;
      },
    });
    console.error(
      `flood CPU per message (medians): gateway ${spread(cpuPerMsg.gateway).median.toFixed(1)} µs ` +
        `(validated and processed), mosquitto + consumer ${spread(cpuPerMsg.baseline).median.toFixed(1)} µs; ` +
        `load average ${loadavg()[0]!.toFixed(1)}`,
    );
    await Promise.all([...flooders, ...basePubs, ...limitPubs].map((c) => c.endAsync(true)));
    const gwExit = once(gw, 'exit'); // a --cpu-prof profile is written on the way out
    await request(gw, { type: 'stop' });
    await Promise.race([gwExit, sleep(30_000)]);
    consumer.send({ type: 'stop' });

    const lat = [...probe.latencies].sort((x, y) => x - y);
    console.error('alert latencies (ms, sorted)', lat.map((x) => Math.round(x)).join(' '));
    console.error(
      `steady ${Math.round(steadyRate)} msg/s from ${recorders} recorders; ` +
        `${lat.length} alerts measured, ${probe.lost} not seen; load average ${loadavg()[0]!.toFixed(1)}`,
    );
    console.log(
      JSON.stringify({
        bench: 'telemetry',
        scenario,
        recorders,
        window_s: windowS,
        rounds,
        flood_seconds: floodSeconds,
        ...fields('gateway_msgs_per_s', rates.gateway.map(Math.round)),
        ...fields('baseline_msgs_per_s', rates.baseline.map(Math.round)),
        ratio: ratioOfMedians(rates.gateway, rates.baseline),
        ...fields('broker_limit_msgs_per_s', rates.limit.map(Math.round)),
        ratio_limit: ratioOfMedians(rates.gateway, rates.limit),
        cpu_pct: round(cpuPct),
        rss_mb: round(b.rssMax / 1024 / 1024),
        rss_after_flood_mb: round(afterFlood.rss / 1024 / 1024),
        alert_p50_ms: round(percentile(lat, 50)),
        alert_p99_ms: round(percentile(lat, 99)),
        alerts_measured: lat.length,
        alerts_not_seen: probe.lost,
        live_stream_cutoffs: probe.cutoffs,
        fleet_alerts_in_window: fleetAlerts,
        steady_msgs_per_s: Math.round(steadyRate),
        ...host,
      }),
    );
  } finally {
    for (const t of timers) clearTimeout(t);
    await Promise.all(steady.map((c) => c.endAsync(true).catch(() => undefined)));
    for (const c of children) if (c.exitCode === null) c.kill();
    for (const p of [...subs, ...mosquittos]) p.kill();
    await rm(dir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'steady' },
    recorders: { type: 'string', default: '5000' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '5' },
    'flood-seconds': { type: 'string', default: '5' },
    role: { type: 'string' },
  },
  allowPositionals: true,
  strict: false,
});
const rest = process.argv.slice(process.argv.indexOf(String(values.role)) + 1);
if (values.role === 'gateway') await gatewayChild(rest[0]!, Number(rest[1]));
else if (values.role === 'prober')
  await proberChild(Number(rest[0]), Number(rest[1]), rest[2]!, rest[3]!.split(','));
else if (values.role === 'consumer') await consumerChild(Number(rest[0]), rest[1]!);
else {
  const scenario = String(values.scenario) as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new Error(`--scenario: one of ${SCENARIOS.join(', ')}`);
  await main(
    scenario,
    Number(values.recorders),
    Number(values.seconds),
    Number(values.rounds),
    Number(values['flood-seconds']),
  );
}
