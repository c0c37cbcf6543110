/**
 * A stand-in for the province broker in `gateway central --demo` (aedes, loopback): TLS like
 * production (PROTOCOL.md §7), with a self-signed certificate made at start in a private temp dir
 * and removed at stop, which central and the simulated offices are given as their CA; the same
 * namespace rule as the production ACL (§7.1) — an office publishes only under
 * `office/v1/<its username>/`, only central subscribes — with a password per user.
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:tls';
import { Aedes } from 'aedes';
import { parseUpstreamTopic } from '../../protocol/upstream/topics.js';
import { makeSelfSignedCert } from '../self-signed-cert.js';

export class DemoBroker {
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  readonly #users = new Map<string, string>();
  readonly #names = new WeakMap<object, string>();
  #dir: string | undefined;

  constructor(readonly centralUser = 'central') {}

  addUser(name: string, password: string): void {
    this.#users.set(name, password);
  }

  get port(): number {
    return (this.#server?.address() as { port: number } | null)?.port ?? 0;
  }

  get url(): string {
    return `mqtts://127.0.0.1:${this.port}`;
  }

  /** The broker's certificate, for clients to trust (their `caFile`). */
  get caFile(): string {
    if (!this.#dir) throw new Error('demo broker not started');
    return join(this.#dir, 'broker.pem');
  }

  async start(port = 0): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), 'central-demo-broker-'));
    const tls = await makeSelfSignedCert({
      certFile: join(this.#dir, 'broker.pem'),
      keyFile: join(this.#dir, 'broker.key'),
      hosts: ['127.0.0.1', 'localhost'],
      days: 30,
    });
    const aedes = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const ok = username !== undefined && this.#users.get(username) === password?.toString('utf8');
        if (ok) this.#names.set(client, username);
        done(ok ? null : Object.assign(new Error('not authorized'), { returnCode: 4 as const }), ok);
      },
      authorizePublish: (client, packet, done) => {
        const user = client ? this.#names.get(client) : undefined;
        const t = parseUpstreamTopic(packet.topic);
        done(t && user === t.office ? null : new Error(`${user ?? '?'} may not publish on ${packet.topic}`));
      },
      authorizeSubscribe: (client, sub, done) =>
        done(null, this.#names.get(client) === this.centralUser ? sub : null),
    });
    this.#aedes = aedes;
    this.#server = createServer(
      { cert: await readFile(tls.certFile), key: await readFile(tls.keyFile), minVersion: 'TLSv1.2' },
      aedes.handle,
    );
    this.#server.listen(port, '127.0.0.1');
    await once(this.#server, 'listening');
  }

  async stop(): Promise<void> {
    const s = this.#server;
    if (s) {
      s.close();
      await new Promise<void>((r) => this.#aedes?.close(() => r()));
    }
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
  }
}
