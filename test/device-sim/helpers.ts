/**
 * A minimal real broker (aedes over TCP on an ephemeral port, with an authenticate hook) and a
 * watcher client that subscribes to recorders' topics and validates every payload with the
 * protocol schemas.
 */
import net from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { decodePayload, encodePayload } from '../../protocol/mqtt/decode.js';
import type { RecorderEvent } from '../../protocol/mqtt/messages.js';
import { parseTopic, type TopicKind, topic, topics } from '../../protocol/mqtt/topics.js';

export interface TestBroker {
  url: string;
  refused: string[];
  close(): Promise<void>;
}

export async function startBroker(passwords: Record<string, string>): Promise<TestBroker> {
  const refused: string[] = [];
  const broker = await Aedes.createBroker({
    authenticate(_client, username, password, done) {
      if (username && password && passwords[username] === password.toString()) return done(null, true);
      refused.push(String(username));
      const err = Object.assign(new Error('bad credentials'), { returnCode: 4 });
      done(err as never, false);
    },
  });
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    broker.handle(sock);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    refused,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface Seen {
  serial: string;
  kind: TopicKind;
  retain: boolean;
  ok: boolean;
  reason?: string;
  value: unknown;
}

export interface Watcher {
  client: MqttClient;
  seen: Seen[];
  bad(): Seen[];
  events(serial?: string): RecorderEvent[];
  /** Sends a raw command payload to a recorder. */
  command(serial: string, cmd: unknown): void;
  close(): Promise<void>;
}

const WATCH_KINDS: TopicKind[] = ['telemetry', 'event', 'status', 'cmd/res'];

export async function startWatcher(
  url: string,
  creds: { username: string; password: string },
  serials: string[],
) {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: `watcher-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    username: creds.username,
    password: creds.password,
    reconnectPeriod: 0,
  });
  const seen: Seen[] = [];
  client.on('message', (topic, payload, packet) => {
    const p = parseTopic(topic);
    if (!p) return;
    const d = decodePayload(p.kind, payload);
    seen.push({
      serial: p.serial,
      kind: p.kind,
      retain: packet.retain,
      ok: d.ok,
      reason: d.ok ? undefined : d.reason,
      value: d.ok ? d.value : payload.toString(),
    });
  });
  const subs = serials.flatMap((s) => WATCH_KINDS.map((k) => topic(s, k)));
  await client.subscribeAsync(subs, { qos: 1 });
  const w: Watcher = {
    client,
    seen,
    bad: () => seen.filter((s) => !s.ok),
    events: (serial) =>
      seen
        .filter((s) => s.kind === 'event' && s.ok && (!serial || s.serial === serial))
        .map((s) => s.value as RecorderEvent),
    command(serial, cmd) {
      client.publish(topics.cmd(serial), encodePayload(cmd), { qos: 1 });
    },
    async close() {
      await client.endAsync(true);
    },
  };
  return w;
}
