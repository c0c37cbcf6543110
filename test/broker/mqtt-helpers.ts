/**
 * Recorder-side helpers for gateway tests: register a recorder, connect it with mqtt.js over real
 * TCP, build valid protocol payloads, run Debian's mosquitto clients asynchronously.
 */
import { spawn } from 'node:child_process';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { encodePayload } from '../../protocol/mqtt/decode.js';
import { PROTOCOL_VERSION, type RecorderEvent, type Telemetry } from '../../protocol/mqtt/messages.js';
import { topics } from '../../protocol/mqtt/topics.js';
import type { TestGateway } from '../helpers/gateway.js';

export function mqttUrl(gw: TestGateway): string {
  return `mqtt://127.0.0.1:${gw.app.mqttPort}`;
}

export async function register(gw: TestGateway, serial: string): Promise<string> {
  return (await gw.app.field.registry.register({ serial, model: 'BC-T' }, 'test')).credential;
}

export interface RecorderClient {
  serial: string;
  client: MqttClient;
  telemetry(t?: Partial<Telemetry>): Promise<void>;
  event(e: EventInput): Promise<void>;
  end(): Promise<void>;
}

/** Events without v; id/seq default to a per-client counter. */
export type EventInput = DistributiveOmit<RecorderEvent, 'v' | 'id' | 'seq'> & { id?: string; seq?: number };
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export async function connectRecorder(
  gw: TestGateway,
  serial: string,
  password: string,
  opts: IClientOptions = {},
): Promise<RecorderClient> {
  const client = await mqtt.connectAsync(mqttUrl(gw), {
    protocolVersion: 4,
    clientId: serial,
    username: serial,
    password,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    will: {
      topic: topics.status(serial),
      payload: encodePayload({ v: PROTOCOL_VERSION, online: false, at: Date.now() }),
      qos: 1,
      retain: true,
    },
    ...opts,
  });
  let seq = 0;
  return {
    serial,
    client,
    async telemetry(t = {}) {
      await client.publishAsync(topics.telemetry(serial), encodePayload(telemetry(t)), { qos: 0 });
    },
    async event(e) {
      const n = seq++;
      const body = { v: PROTOCOL_VERSION, id: e.id ?? `${serial}-e${n}`, seq: e.seq ?? n, ...e };
      await client.publishAsync(topics.event(serial), encodePayload(body), { qos: 1 });
    },
    async end() {
      await client.endAsync(true);
    },
  };
}

export function telemetry(t: Partial<Telemetry> = {}): Telemetry {
  return {
    v: PROTOCOL_VERSION,
    at: Date.now(),
    state: 'idle',
    battery: { pct: 80, voltageMv: 3900, charging: false, tempC: 25 },
    storage: { totalBytes: 64e9, freeBytes: 60e9 },
    firmware: '2.3.0',
    ...t,
  };
}

/** Connect that is expected to be refused: resolves with the CONNACK return code. */
export async function refusedCode(url: string, opts: IClientOptions): Promise<number> {
  try {
    const c = await mqtt.connectAsync(url, {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...opts,
    });
    await c.endAsync(true);
    return 0;
  } catch (err) {
    return Number((err as { code?: number }).code ?? -1);
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command asynchronously (never execFileSync against an in-process broker: it deadlocks). */
export function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
