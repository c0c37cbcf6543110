/**
 * A hostile flood of oversize MQTT traffic for `bench telemetry`'s rss_after_flood_mb, run for a
 * given time against the gateway's broker:
 * - authenticated recorders publishing payloads over the protocol's 16 KiB (under the packet
 *   limit: each is read, then rejected by validation), as fast as TCP takes them;
 * - raw connections whose CONNECT declares 250 MB, then streams filler until the broker hangs up;
 * - an authenticated recorder publishing 1 MiB packets (over the packet limit), reconnecting each
 *   time it is cut off.
 */
import { once } from 'node:events';
import { connect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { MAX_PAYLOAD_BYTES } from '../protocol/mqtt/decode.js';
import { topics } from '../protocol/mqtt/topics.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export interface FloodCounts {
  rejectedPublishes: number;
  oversizeConnects: number;
  oversizePublishes: number;
}

export async function oversizeFlood(
  port: number,
  recorders: { serial: string; password: string }[],
  seconds: number,
): Promise<FloodCounts> {
  const until = Date.now() + seconds * 1000;
  const counts: FloodCounts = { rejectedPublishes: 0, oversizeConnects: 0, oversizePublishes: 0 };
  const [cutOff, ...validating] = recorders;
  const loops: Promise<void>[] = [];
  for (const r of validating) loops.push(publishLoop(port, r, until, counts));
  for (let i = 0; i < 2; i++) loops.push(connectLoop(port, until, counts));
  if (cutOff) loops.push(cutOffLoop(port, cutOff, until, counts));
  await Promise.all(loops);
  return counts;
}

/** Connects; null when refused or timed out. Errors never escape (a hostile client expects them). */
function client(port: number, r: { serial: string; password: string }): Promise<MqttClient | null> {
  const c = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: r.serial,
    username: r.serial,
    password: r.password,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
  });
  c.on('error', () => {});
  return new Promise((resolve) => {
    c.once('connect', () => resolve(c));
    c.once('close', () => resolve(null));
  });
}

async function publishLoop(
  port: number,
  r: { serial: string; password: string },
  until: number,
  counts: FloodCounts,
): Promise<void> {
  const c = await client(port, r);
  if (!c) return;
  const payload = Buffer.alloc(MAX_PAYLOAD_BYTES + 4096, 0x7b);
  const stream = (c as unknown as { stream: NodeJS.WritableStream & { writableLength: number } }).stream;
  const closed = new Promise<void>((r) => c.once('close', () => r()));
  while (Date.now() < until && c.connected) {
    for (let k = 0; k < 50; k++) c.publish(topics.telemetry(r.serial), payload, { qos: 0 });
    counts.rejectedPublishes += 50;
    if (stream.writableLength > 256 * 1024) {
      await Promise.race([once(stream, 'drain'), closed, sleep(until - Date.now())]);
    } else await new Promise((res) => setImmediate(res));
  }
  await c.endAsync(true);
}

async function connectLoop(port: number, until: number, counts: FloodCounts): Promise<void> {
  const filler = Buffer.alloc(256 * 1024, 0x41);
  // CONNECT, remaining length 250 MiB (0x0fa00000 as a variable byte integer), then the start of its body.
  const header = Buffer.from([0x10, 0x80, 0x80, 0x80, 0x7d, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60]);
  while (Date.now() < until) {
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.write(header);
        const pump = () => {
          while (!s.destroyed && Date.now() < until) if (!s.write(filler)) return void s.once('drain', pump);
          s.destroy();
        };
        pump();
      });
      s.on('error', () => {});
      s.once('close', () => resolve());
    });
    counts.oversizeConnects++;
  }
}

async function cutOffLoop(
  port: number,
  r: { serial: string; password: string },
  until: number,
  counts: FloodCounts,
): Promise<void> {
  const big = Buffer.alloc(1024 * 1024, 0x7b);
  while (Date.now() < until) {
    const c = await client(port, r);
    if (!c) {
      await sleep(100);
      continue;
    }
    c.publish(topics.telemetry(r.serial), big, { qos: 0 });
    counts.oversizePublishes++;
    await new Promise<void>((res) => {
      if (!c.connected) return res();
      c.once('close', () => res());
      setTimeout(res, 2000);
    });
    c.end(true);
  }
}
