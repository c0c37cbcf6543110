/**
 * What an unauthenticated MQTT peer can cost the broker, against the real `gateway run` in a child
 * process over TCP (RSS read from /proc/<pid>/status): CONNECTs declaring 250 MB are cut off at
 * the fixed header, connections per address are rate limited, and a client that never finishes
 * CONNECT is closed after the configured timeout.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSelfSignedCert } from '../../gateway/self-signed-cert.js';
import { type ChildGateway, startChildGateway } from '../helpers/child-gateway.js';
import { startGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

const MB = 1024 * 1024;
let gw: ChildGateway;

beforeAll(async () => {
  gw = await startChildGateway({
    mqtt: { connectTimeoutS: 2, connectRate: { burst: 5, perSecond: 0.01 } },
  });
}, 90_000);
afterAll(() => gw?.stop());

/** MQTT remaining length, variable byte integer (MQTT 3.1.1 §2.2.3). */
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

const str = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};

/** A well-formed CONNECT (3.1.1, clean session, username + password). */
function connectPacket(id: string): Buffer {
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, 0xc2, 0, 60]), str(id), str(id), str('secret')]);
  return Buffer.concat([Buffer.from([0x10]), varint(body.length), body]);
}

function open(localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = connect({ host: '127.0.0.1', port: gw.mqttPort, localAddress }, () => res(s));
    s.once('error', rej);
  });
}

/** Sends a CONNECT declaring `declared` bytes, then streams filler until `total` or the socket closes. */
async function oversizeConnect(declared: number, total: number): Promise<number> {
  const s = await open();
  s.on('error', () => {});
  let written = 0;
  let closed = false;
  s.once('close', () => {
    closed = true;
  });
  s.write(Buffer.concat([Buffer.from([0x10]), varint(declared), str('MQTT'), Buffer.from([4, 0x02, 0, 60])]));
  const chunk = Buffer.alloc(256 * 1024, 0x41);
  while (!closed && written < total) {
    written += chunk.length;
    if (!s.write(chunk)) {
      await new Promise<void>((r) => {
        const done = () => {
          s.off('drain', done);
          s.off('close', done);
          r();
        };
        s.once('drain', done);
        s.once('close', done);
      });
    }
  }
  await waitFor(() => closed, 'the broker to close an oversize CONNECT', 20_000);
  return written;
}

describe('MQTT broker bounds', () => {
  it('cuts off two CONNECTs declaring 250 MB at the fixed header; RSS does not rise', async () => {
    await oversizeConnect(2 * MB, 4 * MB); // warm-up
    const before = await gw.settledRss();
    const written = await Promise.all([
      oversizeConnect(250 * MB, 250 * MB),
      oversizeConnect(250 * MB, 250 * MB),
    ]);
    const after = await gw.settledRss();
    console.log(
      `RSS before ${(before / MB).toFixed(1)} MB, after two 250 MB CONNECTs ${(after / MB).toFixed(1)} MB; ` +
        `written before the close: ${written.map((w) => (w / MB).toFixed(1)).join(', ')} MB`,
    );
    for (const w of written) expect(w).toBeLessThan(64 * MB);
    expect(after - before).toBeLessThan(8 * MB);
  }, 90_000);

  it('refuses connections from one address beyond its rate', async () => {
    const outcomes = await Promise.all(
      Array.from(
        { length: 10 },
        (_, i) =>
          new Promise<'connack' | 'closed'>((res, rej) => {
            const s = connect({ host: '127.0.0.1', port: gw.mqttPort, localAddress: '127.0.0.9' }, () =>
              s.write(connectPacket(`RATE-${i}`)),
            );
            s.once('data', () => {
              s.destroy();
              res('connack');
            });
            s.once('close', () => res('closed'));
            s.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? res('closed') : rej(e)));
          }),
      ),
    );
    // The first five (the burst) are answered (CONNACK: not authorized); the rest are dropped.
    expect(outcomes.filter((o) => o === 'connack')).toHaveLength(5);
    // Another address has its own bucket.
    const other = await open('127.0.0.10');
    other.write(connectPacket('RATE-other'));
    let answered = false;
    other.once('data', () => {
      answered = true;
    });
    await waitFor(() => answered, 'a CONNACK from another address');
    other.destroy();
  });

  it('closes a client that never finishes its CONNECT (idle, or one byte at a time)', async () => {
    const idle = await open('127.0.0.3');
    const dribbler = await open('127.0.0.3');
    const closed = new Set<string>();
    idle.once('close', () => closed.add('idle'));
    dribbler.once('close', () => closed.add('dribbler'));
    for (const s of [idle, dribbler]) s.on('error', () => {});
    const bytes = connectPacket('SLOW-1');
    let i = 0;
    const drip = setInterval(() => {
      if (i < bytes.length - 1 && !dribbler.destroyed) dribbler.write(bytes.subarray(i, ++i));
    }, 200);
    try {
      // The timeout is 2 s; aedes' default would be 30 s.
      await waitFor(() => closed.size === 2, 'both slow clients to be closed', 12_000);
    } finally {
      clearInterval(drip);
    }
  }, 20_000);
});

describe('MQTT over TLS', () => {
  it('applies the per-address rate before the TLS handshake', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mqtt-tls-rate-'));
    const tls = await makeSelfSignedCert({
      certFile: join(dir, 'cert.pem'),
      keyFile: join(dir, 'key.pem'),
      hosts: ['127.0.0.1'],
      days: 1,
    });
    const gw = await startGateway({
      mqtt: { tls: { ...tls, port: 0 }, connectRate: { burst: 2, perSecond: 0.01 } },
    });
    try {
      const port = gw.app.field.broker.tlsPort;
      const outcomes = await Promise.all(
        Array.from(
          { length: 4 },
          () =>
            new Promise<'handshake' | 'refused'>((res) => {
              const raw = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.11' });
              const s = tlsConnect({ socket: raw, rejectUnauthorized: false }, () => {
                s.destroy();
                res('handshake');
              });
              s.once('error', () => res('refused'));
              s.once('close', () => res('refused'));
            }),
        ),
      );
      expect(outcomes.filter((o) => o === 'handshake')).toHaveLength(2);
      expect(gw.app.field.broker.stats().guard.rateLimited).toBe(2);
    } finally {
      await gw.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
