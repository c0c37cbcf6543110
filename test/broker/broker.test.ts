/**
 * The embedded broker over real TCP: credentials, ACL and payload validation, with mqtt.js and with
 * Debian's mosquitto clients as a foreign implementation.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePayload } from '../../protocol/mqtt/decode.js';
import { topics } from '../../protocol/mqtt/topics.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { connectRecorder, mqttUrl, refusedCode, register, run, telemetry } from './mqtt-helpers.js';

let gw: TestGateway;
let pwA: string;
let pwB: string;
const A = 'BRK-A';
const B = 'BRK-B';

beforeAll(async () => {
  gw = await startGateway();
  pwA = await register(gw, A);
  pwB = await register(gw, B);
});
afterAll(() => gw.stop());

const health = (serial: string) => gw.app.field.health.get(serial);

describe('connect (mqtt.js)', () => {
  it('refuses anonymous, unknown, wrong-password and foreign-client-id connects', async () => {
    const url = mqttUrl(gw);
    expect(await refusedCode(url, { clientId: A })).toBe(5);
    expect(await refusedCode(url, { clientId: 'NOPE', username: 'NOPE', password: pwA })).toBe(5);
    expect(await refusedCode(url, { clientId: A, username: A, password: pwB })).toBe(4);
    expect(await refusedCode(url, { clientId: A, username: A, password: '' })).toBe(4);
    // B's client id with A's credential would take over B's session.
    expect(await refusedCode(url, { clientId: B, username: A, password: pwA })).toBe(2);
    // A last will on someone else's topic.
    expect(
      await refusedCode(url, {
        clientId: A,
        username: A,
        password: pwA,
        will: { topic: topics.status(B), payload: Buffer.from('{}'), qos: 1, retain: true },
      }),
    ).toBe(5);
    expect(gw.app.field.broker.stats().refusedConnects).toBeGreaterThanOrEqual(6);
    // Positive control: the right credential connects.
    expect(await refusedCode(url, { clientId: A, username: A, password: pwA })).toBe(0);
  });

  it('§2: refuses MQTT 5 with CONNACK return code 0x01 (aedes speaks 3.1.1 only)', async () => {
    const code = await refusedCode(mqttUrl(gw), {
      clientId: A,
      username: A,
      password: pwA,
      protocolVersion: 5,
    });
    expect(code).toBe(0x01);
  });
});

describe('ACL (mqtt.js)', () => {
  it("grants only the recorder's own command topic", async () => {
    const a = await connectRecorder(gw, A, pwA);
    try {
      const granted = async (t: string) => {
        try {
          return (await a.client.subscribeAsync(t, { qos: 1 }))[0]?.qos;
        } catch (err) {
          return (err as { packet?: { granted?: number[] } }).packet?.granted?.[0];
        }
      };
      expect(await granted(topics.cmd(A))).toBe(1);
      for (const t of [topics.cmd(B), 'rec/v1/+/cmd', '#', topics.telemetry(B), topics.telemetry(A)]) {
        expect(await granted(t)).toBe(128);
      }
      expect(gw.app.field.broker.rejections(A)?.acl).toBeGreaterThanOrEqual(5);
      expect(a.client.connected).toBe(true);
    } finally {
      await a.end();
    }
  });

  it("drops a recorder that publishes on another recorder's topic; the other is untouched", async () => {
    const a = await connectRecorder(gw, A, pwA);
    const closed = new Promise<void>((res) => a.client.once('close', () => res()));
    // QoS 0 so there is no PUBACK to wait for; the broker closes the connection.
    a.client.publish(
      topics.telemetry(B),
      encodePayload(telemetry({ battery: { pct: 1, voltageMv: 3000, charging: false, tempC: 20 } })),
    );
    await closed;
    expect(health(B)?.telemetry?.battery.pct).not.toBe(1);
    // And publishing on the gateway's own command topic is refused the same way.
    const a2 = await connectRecorder(gw, A, pwA);
    const closed2 = new Promise<void>((res) => a2.client.once('close', () => res()));
    a2.client.publish(topics.cmd(A), Buffer.from('{}'));
    await closed2;
    expect(gw.app.field.broker.stats().aclDenied).toBeGreaterThanOrEqual(2);
    await a2.end();
  });
});

describe('payload validation', () => {
  it('rejects malformed payloads, counts them per recorder, and keeps serving', async () => {
    const a = await connectRecorder(gw, A, pwA);
    const b = await connectRecorder(gw, B, pwB);
    try {
      const before = gw.app.field.broker.rejections(A)?.payloads ?? 0;
      const t = topics.telemetry(A);
      await a.client.publishAsync(t, Buffer.from('{not json'), { qos: 1 });
      await a.client.publishAsync(t, encodePayload({ ...telemetry(), v: 2 }), { qos: 1 });
      await a.client.publishAsync(t, encodePayload({ ...telemetry(), battery: { pct: 150 } }), { qos: 1 });
      await a.client.publishAsync(t, Buffer.alloc(20_000, 0x20), { qos: 1 });
      await a.client.publishAsync(
        topics.event(A),
        encodePayload({ v: 1, type: 'no-such-event', id: 'x', seq: 0, at: 1 }),
        {
          qos: 1,
        },
      );
      const r = await waitFor(() => {
        const x = gw.app.field.broker.rejections(A);
        return x && x.payloads - before >= 5 && x;
      }, 'rejections counted');
      expect(r.payloads - before).toBe(5);
      expect(r.last?.topic).toBe(topics.event(A));
      expect(r.last?.code).toBe('BAD_PAYLOAD');
      expect(gw.app.field.broker.rejections(B)?.payloads ?? 0).toBe(0);
      // The same connection still works: a valid telemetry is processed.
      await a.telemetry({ battery: { pct: 61.5, voltageMv: 3800, charging: false, tempC: 22 } });
      await b.telemetry({ battery: { pct: 42, voltageMv: 3700, charging: false, tempC: 22 } });
      await waitFor(() => health(A)?.telemetry?.battery.pct === 61.5, 'A telemetry processed');
      await waitFor(() => health(B)?.telemetry?.battery.pct === 42, 'B telemetry processed');
      expect(a.client.connected).toBe(true);
    } finally {
      await a.end();
      await b.end();
    }
  });
});

describe('presence', () => {
  it('marks a recorder offline on its last will and online again on reconnect', async () => {
    const a = await connectRecorder(gw, A, pwA);
    await a.telemetry();
    await waitFor(() => health(A)?.online, 'online');
    // Drop the socket without DISCONNECT: the broker publishes the will.
    (a.client as unknown as { stream: { destroy(): void } }).stream.destroy();
    await waitFor(() => health(A)?.online === false, 'offline after will');
    await a.end();
    const again = await connectRecorder(gw, A, pwA);
    await waitFor(() => health(A)?.online, 'online again');
    await again.end();
    await waitFor(() => health(A)?.online === false, 'offline after disconnect');
  });
});

describe('foreign client: Debian mosquitto_pub / mosquitto_sub', () => {
  const base = () => ['-h', '127.0.0.1', '-p', String(gw.app.mqttPort), '-V', 'mqttv311'];

  it('refuses anonymous and wrong-password connects', async () => {
    const anon = await run('mosquitto_pub', [...base(), '-t', topics.telemetry(A), '-m', '{}']);
    expect(anon.code).not.toBe(0);
    expect(anon.stderr).toMatch(/not authori[sz]ed/i);
    const wrong = await run('mosquitto_pub', [
      ...base(),
      '-i',
      A,
      '-u',
      A,
      '-P',
      'wrong',
      '-t',
      topics.telemetry(A),
      '-m',
      '{}',
    ]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/bad user name or password/i);
  });

  it("accepts valid telemetry on its own topic and refuses publishing on another recorder's", async () => {
    const own = await run('mosquitto_pub', [
      ...base(),
      ...['-i', A, '-u', A, '-P', pwA, '-q', '1', '-t', topics.telemetry(A)],
      ...['-m', JSON.stringify(telemetry({ firmware: '9.9.9-mosq' }))],
    ]);
    expect(own.code).toBe(0);
    await waitFor(() => health(A)?.telemetry?.firmware === '9.9.9-mosq', 'telemetry via mosquitto_pub');

    const denied = gw.app.field.broker.stats().aclDenied;
    const cross = await run('mosquitto_pub', [
      ...base(),
      ...['-i', A, '-u', A, '-P', pwA, '-q', '1', '-t', topics.telemetry(B)],
      ...['-m', JSON.stringify(telemetry({ firmware: '6.6.6-evil' }))],
    ]);
    expect(cross.code).not.toBe(0);
    expect(gw.app.field.broker.stats().aclDenied).toBe(denied + 1);
    expect(health(B)?.telemetry?.firmware).not.toBe('6.6.6-evil');
  });

  it("refuses subscribing to another recorder's command topic and to wildcards", async () => {
    for (const t of [topics.cmd(B), 'rec/v1/#']) {
      const sub = await run('mosquitto_sub', [...base(), '-i', A, '-u', A, '-P', pwA, '-t', t, '-W', '3']);
      expect(sub.stderr).toMatch(/all subscription requests were denied/i);
    }
    // Mixed request: the foreign filter gets 128, its own command topic is granted.
    const mixed = await run('mosquitto_sub', [
      ...base(),
      ...['-i', A, '-u', A, '-P', pwA, '-q', '1', '-t', topics.cmd(B), '-t', topics.cmd(A), '-W', '1', '-d'],
    ]);
    expect(mixed.stdout).toMatch(/Subscribed \(mid: \d+\): 128, 1/);
  });

  it('delivers a gateway command to the recorder subscribed with mosquitto_sub', async () => {
    const sub = run('mosquitto_sub', [
      ...base(),
      '-i',
      A,
      '-u',
      A,
      '-P',
      pwA,
      '-q',
      '1',
      '-t',
      topics.cmd(A),
      '-C',
      '1',
      '-W',
      '8',
    ]);
    let exited = false;
    void sub.then(() => {
      exited = true;
    });
    // Nobody answers, so each command times out; resend until the subscription is in place and
    // mosquitto_sub has received one.
    const sends: Promise<unknown>[] = [];
    while (!exited) {
      if (gw.app.field.broker.isConnected(A)) {
        sends.push(gw.app.field.commands.send(A, { cmd: 'locate', seconds: 3 }, 500).catch((e) => e));
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const out = await sub;
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ v: 1, cmd: 'locate', seconds: 3 });
    expect(await Promise.all(sends)).toContainEqual(expect.objectContaining({ code: 'COMMAND_TIMEOUT' }));
  });
});

describe('commands', () => {
  it('matches responses by tid and measures the clock offset from time-sync', async () => {
    const a = await connectRecorder(gw, A, pwA);
    try {
      await a.client.subscribeAsync(topics.cmd(A), { qos: 1 });
      const skewMs = 5 * 60_000;
      a.client.on('message', (_t, payload) => {
        const cmd = JSON.parse(payload.toString());
        const res = {
          v: 1,
          tid: cmd.tid,
          ok: true,
          at: Date.now() + skewMs,
          deviceTime: Date.now() + skewMs,
        };
        // An unrelated answer first: it must not resolve the pending command.
        a.client.publish(topics.cmdResponse(A), encodePayload({ ...res, tid: 'other' }), { qos: 1 });
        a.client.publish(topics.cmdResponse(A), encodePayload(res), { qos: 1 });
      });
      const r = await gw.app.field.commands.send(A, { cmd: 'time-sync' });
      expect(r.response.ok).toBe(true);
      const h = health(A)!;
      expect(h.clockOffsetSource).toBe('time-sync');
      expect(Math.abs(h.clockOffsetMs! - skewMs)).toBeLessThan(60_000);
      expect(h.conditions).toContain('clock-drift');
    } finally {
      await a.end();
    }
  });

  it('refuses a command to a recorder that is not connected', async () => {
    await expect(gw.app.field.commands.send(B, { cmd: 'locate', seconds: 2 })).rejects.toMatchObject({
      code: 'RECORDER_OFFLINE',
    });
  });

  it('keeps serving other clients after a mqtt.js v5 client or garbage on the socket', async () => {
    const net = await import('node:net');
    await new Promise<void>((res) => {
      const s = net.connect(gw.app.mqttPort, '127.0.0.1', () => s.end(Buffer.from('GET / HTTP/1.1\r\n\r\n')));
      s.on('close', () => res());
      s.on('error', () => res());
    });
    const c = await mqtt.connectAsync(mqttUrl(gw), {
      protocolVersion: 4,
      clientId: B,
      username: B,
      password: pwB,
      reconnectPeriod: 0,
    });
    expect(c.connected).toBe(true);
    await c.endAsync(true);
  });
});
