/**
 * A stand-in for the province broker in `gateway central --demo` (aedes, loopback, no TLS): the
 * same namespace rule as the production ACL (PROTOCOL.md §7.1) — an office publishes only under
 * `office/v1/<its username>/`, only central subscribes — with a password per user.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';
import { parseUpstreamTopic } from '../../protocol/upstream/topics.js';

export class DemoBroker {
  #aedes: Aedes | undefined;
  #server: Server | undefined;
  readonly #users = new Map<string, string>();
  readonly #names = new WeakMap<object, string>();

  constructor(readonly centralUser = 'central') {}

  addUser(name: string, password: string): void {
    this.#users.set(name, password);
  }

  get port(): number {
    return (this.#server?.address() as { port: number } | null)?.port ?? 0;
  }

  async start(port = 0): Promise<void> {
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
    this.#server = createServer(aedes.handle);
    this.#server.listen(port, '127.0.0.1');
    await once(this.#server, 'listening');
  }

  async stop(): Promise<void> {
    const s = this.#server;
    if (s) {
      s.close();
      await new Promise<void>((r) => this.#aedes?.close(() => r()));
    }
  }
}
