/**
 * The MQTT conformance kit: runs a broker of its own, acts as the gateway towards one recorder and
 * checks the rules of PROTOCOL.md §2 as named checks: the CONNECT and its last will, the topics and
 * payloads, the telemetry interval, event order and de-duplication, the replay of events made
 * while the network was cut, commands and responses, and an orderly power-off. Steps that need the
 * recorder to do something (connect, record, power off) are asked for through `act`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { decodePayload, MAX_PAYLOAD_BYTES } from '../../protocol/mqtt/decode.js';
import type { RecorderEvent } from '../../protocol/mqtt/messages.js';
import { PROTOCOL_VERSION } from '../../protocol/mqtt/messages.js';
import { parseTopic, RECORDER_PUBLISH_KINDS, topics } from '../../protocol/mqtt/topics.js';
import { type CheckResult, must, outcome } from '../check.js';

/** What the kit asks the recorder (or the person holding it) to do. */
export type KitAction =
  /** Power on / connect to the kit's broker with the credential given. */
  | 'connect'
  /** Start a session, record a few seconds with a marker, stop and end the session. */
  | 'record'
  /** The network is cut now: do the same while offline, then say done. */
  | 'record-offline'
  /** Power off (an orderly shutdown). */
  | 'power-off';

export interface MqttKitOptions {
  serial: string;
  /** The credential the recorder is given (default: a random one, shown through `onListening`). */
  credential?: string;
  host?: string;
  /** TCP port of the kit's broker (default 0: any free port). */
  port?: number;
  onListening?(info: { url: string; serial: string; credential: string }): void;
  act(step: KitAction): Promise<void>;
  say?(line: string): void;
  /** How long the kit waits for the recorder at each step (default 30 s). */
  stepTimeoutMs?: number;
  /** How long the network stays cut (default 3 s, or until `act('record-offline')` returns). */
  cutMs?: number;
}

interface Seen {
  at: number;
  packet: PublishPacket;
}

const CONNACK_SERVER_UNAVAILABLE = 3;
const CONNACK_BAD_USERNAME_OR_PASSWORD = 4;
const KEEPALIVE_S = 30;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const text = (p: PublishPacket) => Buffer.from(p.payload).toString('utf8').slice(0, 300);
const line = (s: Seen, t0: number) =>
  `+${s.at - t0} ms < ${s.packet.topic} qos${s.packet.qos}${s.packet.retain ? ' retained' : ''} ${text(s.packet)}`;

export async function runMqttConformance(o: MqttKitOptions): Promise<CheckResult[]> {
  const serial = o.serial;
  const credential = o.credential ?? randomBytes(18).toString('base64url');
  const stepMs = o.stepTimeoutMs ?? 30_000;
  const say = o.say ?? (() => {});
  const t0 = Date.now();
  const results: CheckResult[] = [];
  /** Every publish by the recorder's client (not wills, not the kit's own). */
  const published: Seen[] = [];
  const transcript: string[] = [];
  const note = (l: string) => transcript.push(`+${Date.now() - t0} ms ${l}`);
  const connects: {
    at: number;
    protocolVersion: number;
    clientId: string;
    clean: boolean;
    keepalive: number;
    will?: PublishPacket | null;
    username?: string;
    password?: string;
  }[] = [];
  const subscriptions: { topic: string; qos: number }[] = [];
  let client: Client | undefined;
  let refusing = false;
  let waiters: (() => void)[] = [];
  const wake = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  /** Polls `cond` on every broker activity until it holds or `ms` pass. */
  const until = async <T>(cond: () => T | undefined | false, ms = stepMs): Promise<T | undefined> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = cond();
      if (v) return v;
      const left = end - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 250));
        waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  };

  const aedes = await Aedes.createBroker({
    preConnect: (_c, packet, done) => {
      connects.push({
        at: Date.now(),
        protocolVersion: packet.protocolVersion ?? 0,
        clientId: packet.clientId,
        clean: packet.clean ?? false,
        keepalive: packet.keepalive ?? 0,
        will: packet.will ? ({ cmd: 'publish', dup: false, ...packet.will } as PublishPacket) : null,
        username: packet.username,
        password: packet.password?.toString('utf8'),
      });
      note(
        `> CONNECT v${packet.protocolVersion} id=${packet.clientId} clean=${packet.clean} keepalive=${packet.keepalive}`,
      );
      done(null, true);
      wake();
    },
    authenticate: (c, username, password, done) => {
      const refuse = (code: number, why: string) => {
        note(`< CONNACK ${code} (${why})`);
        const err = new Error(why) as AuthenticateError;
        (err as { returnCode: number }).returnCode = code;
        done(err, false);
        wake();
      };
      if (refusing) return refuse(CONNACK_SERVER_UNAVAILABLE, 'network cut by the kit');
      if (username !== serial || password?.toString('utf8') !== credential || c.id !== serial) {
        return refuse(
          CONNACK_BAD_USERNAME_OR_PASSWORD,
          'client id, username or password is not the one given',
        );
      }
      note('< CONNACK 0');
      done(null, true);
    },
    authorizePublish: (_c, packet, done) => {
      published.push({ at: Date.now(), packet: { ...packet, payload: Buffer.from(packet.payload) } });
      const p = parseTopic(packet.topic);
      wake();
      // The gateway's ACL (§2.1): only its own serial and the recorder's publish kinds.
      if (!p || p.serial !== serial || !RECORDER_PUBLISH_KINDS.includes(p.kind)) {
        return done(new Error('not allowed'));
      }
      done(null);
    },
    authorizeSubscribe: (_c, sub, done) => {
      subscriptions.push({ topic: sub.topic, qos: sub.qos });
      note(`> SUBSCRIBE ${sub.topic} qos${sub.qos}`);
      wake();
      done(null, sub.topic === topics.cmd(serial) ? sub : null);
    },
  });
  aedes.on('clientReady', (c) => {
    client = c;
    wake();
  });
  aedes.on('clientDisconnect', (c) => {
    note(`connection of ${c.id} closed`);
    if (client === c) client = undefined;
    wake();
  });
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => res());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  o.onListening?.({ url: `mqtt://${o.host ?? '127.0.0.1'}:${port}`, serial, credential });

  async function check(section: string, name: string, fn: () => Promise<unknown>): Promise<boolean> {
    const from = published.length;
    const fromNote = transcript.length;
    const { ok, detail } = await outcome(fn);
    const frames = [...transcript.slice(fromNote), ...published.slice(from).map((s) => line(s, t0))].slice(
      0,
      40,
    );
    results.push({ section, name, ok, detail, frames });
    say(`${ok ? 'PASS' : 'FAIL'} §${section} ${name}${ok ? '' : `: ${detail}`}`);
    return ok;
  }

  const ofKind = (kind: string, from = 0) =>
    published.slice(from).filter((s) => parseTopic(s.packet.topic)?.kind === kind);
  const statusesFrom = (from: number) =>
    ofKind('status', from).map((s) => ({ s, d: decodePayload('status', s.packet.payload as Buffer) }));
  const events = () =>
    ofKind('event').flatMap((s) => {
      const d = decodePayload('event', s.packet.payload as Buffer);
      return d.ok ? [{ s, e: d.value as RecorderEvent }] : [];
    });

  let tid = 0;
  const newTid = () => `kit-${t0.toString(36)}-${++tid}`;
  /** Publishes a command (raw payload) and waits for the response echoing `id`, if any. */
  const command = async (payload: unknown, id: string | undefined, ms = 5000) => {
    const from = published.length;
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    note(`> ${topics.cmd(serial)} ${body.slice(0, 200)}`);
    await new Promise<void>((res, rej) =>
      aedes.publish(
        {
          cmd: 'publish',
          topic: topics.cmd(serial),
          payload: Buffer.from(body),
          qos: 1,
          retain: false,
          dup: false,
        },
        (err) => (err ? rej(err) : res()),
      ),
    );
    if (!id) return undefined;
    const r = await until(() => {
      for (const s of ofKind('cmd/res', from)) {
        const d = decodePayload('cmd/res', s.packet.payload as Buffer);
        if (d.ok && d.value.tid === id) return d.value;
      }
      return undefined;
    }, ms);
    return r;
  };

  const connected = () => (client ? true : undefined);
  try {
    // ---- §2 connection ---------------------------------------------------------------------------
    say(`kit broker at mqtt://${o.host ?? '127.0.0.1'}:${port}; serial ${serial}`);
    const actConnect = o.act('connect');
    const up = await check(
      '2.1',
      'CONNECT with the serial as client id and username, the issued credential as password',
      async () => {
        const c = await until(() => connects[0]);
        must(c, `no CONNECT within ${stepMs} ms`);
        must(c.clientId === serial, `client id ${JSON.stringify(c.clientId)}, want the serial ${serial}`);
        must(c.username === serial, `username ${JSON.stringify(c.username)}, want the serial ${serial}`);
        must(c.password === credential, 'the password is not the credential given');
        must(await until(connected), 'the connection did not complete');
      },
    );
    await actConnect;
    await check('2', 'MQTT 3.1.1 (CONNECT protocol level 4)', async () => {
      must(connects[0], 'no CONNECT');
      must(connects[0].protocolVersion === 4, `protocol level ${connects[0].protocolVersion}`);
    });
    await check('2.1', `clean session, keepalive ${KEEPALIVE_S} s`, async () => {
      const c = connects[0];
      must(c, 'no CONNECT');
      must(c.clean === true, 'clean session is off');
      must(c.keepalive === KEEPALIVE_S, `keepalive ${c.keepalive} s`);
    });
    await check('2.5', 'last will: offline Status on its own status topic, QoS 1, retained', async () => {
      const w = connects[0]?.will;
      must(w, 'no last will');
      must(w.topic === topics.status(serial), `will on ${w.topic}`);
      must(w.qos === 1, `will QoS ${w.qos}`);
      must(w.retain === true, 'will not retained');
      const d = decodePayload('status', Buffer.from(w.payload));
      must(d.ok, `will payload: ${d.ok ? '' : `${d.code} ${d.reason}`}`);
      must(d.value.online === false, 'will says online');
    });
    await check('2.5', 'after CONNACK: online Status, QoS 1, retained', async () => {
      const s = await until(() => statusesFrom(0).find((x) => x.d.ok && x.d.value.online), 5000);
      must(s, 'no online Status within 5 s');
      must(s.s.packet.qos === 1, `QoS ${s.s.packet.qos}`);
      must(s.s.packet.retain, 'not retained');
    });
    await check('2.1', 'subscribes to its own cmd topic with QoS 1 (no wildcards)', async () => {
      const s = await until(() => subscriptions.find((x) => x.topic === topics.cmd(serial)), 5000);
      must(s, `no SUBSCRIBE to ${topics.cmd(serial)} within 5 s`);
      must(s.qos === 1, `QoS ${s.qos}`);
    });

    // ---- §2.6 commands -----------------------------------------------------------------------------
    const cmdOk = (name: string, body: (t: string) => object, extra?: (r: Record<string, unknown>) => void) =>
      check('2.6', name, async () => {
        must(up, 'needs a connected recorder');
        const t = newTid();
        const r = await command({ v: PROTOCOL_VERSION, tid: t, sentAt: Date.now(), ...body(t) }, t);
        must(r, `no valid response echoing tid ${t} within 5 s`);
        must(r.ok === true, `ok:false ${JSON.stringify(r.error)}`);
        extra?.(r as unknown as Record<string, unknown>);
      });
    await cmdOk(
      'time-sync is answered once, echoing the tid, with deviceTime',
      () => ({ cmd: 'time-sync', gatewayTime: Date.now() }),
      (r) => must(typeof r.deviceTime === 'number', 'no deviceTime'),
    );
    await cmdOk('locate is answered ok', () => ({ cmd: 'locate', seconds: 1 }));
    await check(
      '2.6',
      'a command that fails validation but has a readable tid is answered ok:false',
      async () => {
        must(up, 'needs a connected recorder');
        const t = newTid();
        const r = await command(
          { v: PROTOCOL_VERSION, tid: t, sentAt: Date.now(), cmd: 'locate', seconds: 0 },
          t,
        );
        must(r, `no response to locate seconds:0 (tid ${t}) within 5 s`);
        must(r.ok === false, 'answered ok:true to seconds:0 (range 1-120)');
        return `error ${JSON.stringify(r.error)}`;
      },
    );
    await check('2.2', 'an unknown v is rejected with BAD_VERSION (answered ok:false)', async () => {
      must(up, 'needs a connected recorder');
      const t = newTid();
      const r = await command({ v: 2, tid: t, sentAt: Date.now(), cmd: 'locate', seconds: 1 }, t);
      must(r, `no response to a v:2 command (tid ${t}) within 5 s`);
      must(r.ok === false, 'a v:2 command was carried out');
      must(r.error?.code === 'BAD_VERSION', `error code ${r.error?.code}`);
    });
    await check('2.2', 'a payload that is not JSON is dropped and the link stays up', async () => {
      must(up, 'needs a connected recorder');
      const from = published.length;
      await command('{"tid": not json', undefined);
      await sleep(1000);
      must(
        ofKind('cmd/res', from).length === 0,
        'a response was published to a payload with no readable tid',
      );
      must(client, 'the recorder disconnected');
      const t = newTid();
      const r = await command(
        { v: PROTOCOL_VERSION, tid: t, sentAt: Date.now(), cmd: 'locate', seconds: 1 },
        t,
      );
      must(r?.ok, 'the next command was not answered');
    });

    // ---- §2.3 telemetry ----------------------------------------------------------------------------
    await check('2.3', 'telemetry is QoS 0, not retained, at the interval set by config', async () => {
      must(up, 'needs a connected recorder');
      const t = newTid();
      const r = await command(
        { v: PROTOCOL_VERSION, tid: t, sentAt: Date.now(), cmd: 'config', telemetryIntervalS: 1 },
        t,
      );
      must(r?.ok, 'config telemetryIntervalS:1 not answered ok');
      const from = published.length;
      const got = await until(
        () => (ofKind('telemetry', from).length >= 4 ? ofKind('telemetry', from) : undefined),
        10_000,
      );
      await command(
        { v: PROTOCOL_VERSION, tid: newTid(), sentAt: Date.now(), cmd: 'config', telemetryIntervalS: 30 },
        undefined,
      );
      must(
        got,
        `fewer than 4 telemetry messages within 10 s at a 1 s interval (${ofKind('telemetry', from).length})`,
      );
      for (const s of got) {
        must(s.packet.qos === 0, `telemetry at QoS ${s.packet.qos}`);
        must(!s.packet.retain, 'telemetry retained');
      }
      const gaps = got.slice(1).map((s, i) => s.at - got[i]!.at);
      const last = gaps.slice(1);
      must(
        last.every((g) => g > 300 && g < 3000),
        `intervals ${gaps.join(', ')} ms at a 1 s setting`,
      );
      return `intervals ${gaps.join(', ')} ms`;
    });

    // ---- §2.4 events -------------------------------------------------------------------------------
    const sessionEnded = (fromSeq: number) => () =>
      events().find((x) => x.e.type === 'session-ended' && x.e.seq > fromSeq);
    const quiet = async () => {
      // Events that follow the session's end (segment-closed once its clip is written) arrive soon.
      const end = Date.now() + stepMs;
      let n = -1;
      while (n !== ofKind('event').length && Date.now() < end) {
        n = ofKind('event').length;
        await sleep(1000);
      }
    };
    const live = await check('2.4', 'events of a recorded session arrive QoS 1, not retained', async () => {
      must(up, 'needs a connected recorder');
      say('please: start a session, record a few seconds, add a marker, stop and end the session');
      await o.act('record');
      must(await until(sessionEnded(-1)), `no session-ended event within ${stepMs} ms`);
      await quiet();
      for (const { s } of events()) {
        must(s.packet.qos === 1, `event at QoS ${s.packet.qos}`);
        must(!s.packet.retain, 'event retained');
      }
      return `${events().length} events`;
    });
    const seqRule = () => {
      const byId = new Map<string, { seq: number; body: string }>();
      for (const { e, s } of events()) {
        const body = text(s.packet);
        const was = byId.get(e.id);
        must(!was || was.body === body, `id ${e.id} re-sent with different content`);
        byId.set(e.id, { seq: e.seq, body });
      }
      const seqs = [...byId.values()].map((x) => x.seq).sort((a, b) => a - b);
      for (let i = 1; i < seqs.length; i++) {
        must(seqs[i] !== seqs[i - 1], `seq ${seqs[i]} used by two ids`);
        must(seqs[i] === seqs[i - 1]! + 1, `seq jumps from ${seqs[i - 1]} to ${seqs[i]}`);
      }
      return seqs;
    };
    await check(
      '2.4',
      'seq rises by one per event; ids are unique; a re-sent id has the same content',
      async () => {
        must(live, 'needs the recorded session');
        const seqs = seqRule();
        return `seq ${seqs[0]}..${seqs.at(-1)}`;
      },
    );

    // ---- §2.4 late delivery after a network cut ----------------------------------------------------
    await check(
      '2.4',
      'events made while the network was cut are replayed after reconnect, in seq order, no gap',
      async () => {
        must(live && client, 'needs the recorded session and a connected recorder');
        const lastSeq = Math.max(...events().map((x) => x.e.seq));
        refusing = true;
        note('network cut: connection dropped, reconnects refused');
        client.conn.destroy();
        const cutAt = Date.now();
        await until(() => !client || undefined, 5000);
        say('the network is cut: please record a session now (start, marker, stop, end)');
        await o.act('record-offline');
        const left = (o.cutMs ?? 3000) - (Date.now() - cutAt);
        if (left > 0) await sleep(left);
        refusing = false;
        const backAt = Date.now();
        note('network back');
        must(await until(connected), `no reconnect within ${stepMs} ms of the network coming back`);
        const from = published.findIndex((s) => s.at >= backAt);
        must(
          await until(sessionEnded(lastSeq)),
          `the session recorded offline (session-ended after seq ${lastSeq}) never arrived`,
        );
        await quiet();
        const after = events().filter((x) => x.s.at >= backAt && x.e.seq > lastSeq);
        must(after.length > 0, 'no event made offline arrived');
        const first = after.map((x) => x.e.seq);
        const firstSeen = first.filter((s, i) => first.indexOf(s) === i);
        must(
          firstSeen[0] === lastSeq + 1,
          `after reconnect the first new event is seq ${firstSeen[0]}, want ${lastSeq + 1}`,
        );
        must(
          firstSeen.every((s, i) => i === 0 || s > firstSeen[i - 1]!),
          `replayed out of order: ${firstSeen.join(',')}`,
        );
        seqRule();
        must(
          statusesFrom(Math.max(0, from)).some((x) => x.d.ok && x.d.value.online),
          'no online Status after reconnect',
        );
        return `${firstSeen.length} events replayed, seq ${firstSeen[0]}..${firstSeen.at(-1)}`;
      },
    );

    // ---- §2.5 orderly power-off ----------------------------------------------------------------------
    await check('2.5', 'an orderly power-off publishes offline Status itself, then disconnects', async () => {
      must(client, 'needs a connected recorder');
      const from = published.length;
      say('please power the recorder off');
      await o.act('power-off');
      const s = await until(() => statusesFrom(from).find((x) => x.d.ok && !x.d.value.online));
      must(s, 'no offline Status published by the recorder');
      must(s.s.packet.retain && s.s.packet.qos === 1, 'offline Status not QoS 1 retained');
      must(await until(() => !client || undefined), 'still connected');
    });

    // ---- over the whole run ------------------------------------------------------------------------
    await check('2.1', 'publishes only on its own telemetry, event, status and cmd/res topics', async () => {
      const bad = published.filter((s) => {
        const p = parseTopic(s.packet.topic);
        return !p || p.serial !== serial || !RECORDER_PUBLISH_KINDS.includes(p.kind);
      });
      must(bad.length === 0, `published on ${[...new Set(bad.map((s) => s.packet.topic))].join(', ')}`);
      const subs = subscriptions.filter((s) => s.topic !== topics.cmd(serial));
      must(subs.length === 0, `subscribed to ${subs.map((s) => s.topic).join(', ')}`);
    });
    await check(
      '2.2',
      `every payload is UTF-8 JSON with v:1, valid for its topic, at most ${MAX_PAYLOAD_BYTES} B`,
      async () => {
        must(published.length > 0, 'nothing published');
        for (const s of published) {
          const p = parseTopic(s.packet.topic);
          if (!p) continue;
          const d = decodePayload(p.kind, s.packet.payload as Buffer);
          must(d.ok, `${s.packet.topic}: ${d.ok ? '' : `${d.code} ${d.reason}`} — ${text(s.packet)}`);
        }
        return `${published.length} payloads`;
      },
    );
    await check('2.6', 'every command is answered exactly once', async () => {
      const count = new Map<string, number>();
      for (const s of ofKind('cmd/res')) {
        const d = decodePayload('cmd/res', s.packet.payload as Buffer);
        if (d.ok) count.set(d.value.tid, (count.get(d.value.tid) ?? 0) + 1);
      }
      const twice = [...count].filter(([, n]) => n > 1).map(([t, n]) => `${t} ×${n}`);
      must(twice.length === 0, `answered more than once: ${twice.join(', ')}`);
      return `${count.size} responses`;
    });
  } finally {
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  }
  return results;
}
