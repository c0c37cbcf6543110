/**
 * Debian's mosquitto as the province's central broker for tests: TLS with a throwaway CA (openssl),
 * a password file (hashed by mosquitto_passwd -U, so no password is on an argv) and an ACL that
 * confines each office to `office/v1/<its username>/#` and lets central read every office. Stopped
 * by its PID. `cut()`/`mend()` take the office side of the link down and up through a TCP relay
 * (the broker stays up, like an office uplink that fails).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { OFFICE_ACL_PATTERN, UPSTREAM_ROOT } from '../../protocol/upstream/topics.js';

export interface TestBroker {
  dir: string;
  port: number;
  /** mqtts:// URL of the broker itself. */
  url: string;
  /** mqtts:// URL through the cuttable relay. */
  relayUrl: string;
  caFile: string;
  /** A file holding `user`'s password. */
  passwordFile(user: string): string;
  password(user: string): string;
  cut(): Promise<void>;
  mend(): Promise<void>;
  stop(): Promise<void>;
}

/** A plain MQTT 3.1.1 client of the broker as `user` (TLS, its password; no reconnects). */
export async function connectAs(
  broker: TestBroker,
  user: string,
  clientId: string,
): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync(broker.url, {
    protocolVersion: 4,
    clientId,
    username: user,
    password: broker.password(user),
    ca: await readFile(broker.caFile),
    reconnectPeriod: 0,
  });
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
    });
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args[0]}: ${code} ${err}`)),
    );
  });
}

export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  await once(s, 'close');
  return port;
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mosquitto exited: ${log()}`);
    const ok = await new Promise<boolean>((r) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        r(true);
      });
      c.once('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`mosquitto did not listen: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function makeCa(dir: string): Promise<{ caFile: string; certFile: string; keyFile: string }> {
  const sh = (args: string[]) => run('openssl', args, dir);
  await sh(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'].concat([
      '-subj',
      '/CN=test province CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    ]),
  );
  await sh(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
    ]),
  );
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await sh(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-days',
      '1',
      '-extfile',
      'san.ext',
      '-out',
      'server.pem',
    ]),
  );
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'server.pem'), keyFile: join(dir, 'server.key') };
}

export async function startBroker(users: string[]): Promise<TestBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'province-broker-'));
  const tls = await makeCa(dir);
  const passwords = new Map(users.map((u) => [u, `pw-${u}-${Math.random().toString(36).slice(2)}`]));
  for (const [u, p] of passwords) await writeFile(join(dir, `${u}.pw`), `${p}\n`, { mode: 0o600 });
  await writeFile(join(dir, 'passwd'), `${[...passwords].map(([u, p]) => `${u}:${p}`).join('\n')}\n`);
  await run('mosquitto_passwd', ['-U', 'passwd'], dir);
  await writeFile(
    join(dir, 'acl'),
    ['user central', `topic read ${UPSTREAM_ROOT}/#`, '', `pattern write ${OFFICE_ACL_PATTERN}`, ''].join(
      '\n',
    ),
  );
  const port = await freePort();
  const conf = [
    'per_listener_settings false',
    'allow_anonymous false',
    `password_file ${join(dir, 'passwd')}`,
    `acl_file ${join(dir, 'acl')}`,
    'persistence true',
    `persistence_location ${dir}/`,
    'max_queued_messages 0',
    // Central acknowledges a loop turn's messages after one fsync (group-commit.ts): the broker's
    // window of unacknowledged messages per client bounds how many share it (default 20).
    'max_inflight_messages 1000',
    `log_dest file ${dir}/mosquitto.log`,
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    `listener ${port} 127.0.0.1`,
    `cafile ${tls.caFile}`,
    `certfile ${tls.certFile}`,
    `keyfile ${tls.keyFile}`,
  ];
  await writeFile(join(dir, 'mosquitto.conf'), `${conf.join('\n')}\n`);
  const child = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr?.on('data', (d) => {
    log = (log + d).slice(-4000);
  });
  await waitForPort(port, child, () => log);

  // The office side's relay: cut() closes every relayed connection and refuses new ones.
  const relayPort = await freePort();
  const sockets = new Set<Socket>();
  let relay: Server | undefined;
  const openRelay = async () => {
    relay = createServer((a) => {
      const b = connect(port, '127.0.0.1');
      sockets.add(a).add(b);
      a.pipe(b).pipe(a);
      const drop = () => {
        a.destroy();
        b.destroy();
        sockets.delete(a);
        sockets.delete(b);
      };
      a.on('error', drop).on('close', drop);
      b.on('error', drop).on('close', drop);
    });
    relay.listen(relayPort, '127.0.0.1');
    await once(relay, 'listening');
  };
  await openRelay();

  const cut = async () => {
    const r = relay;
    relay = undefined;
    const closed = r ? once(r, 'close') : Promise.resolve();
    r?.close();
    for (const s of sockets) s.destroy();
    sockets.clear();
    await closed;
  };
  return {
    dir,
    port,
    url: `mqtts://127.0.0.1:${port}`,
    relayUrl: `mqtts://127.0.0.1:${relayPort}`,
    caFile: tls.caFile,
    passwordFile: (u) => join(dir, `${u}.pw`),
    password: (u) => passwords.get(u) ?? '',
    cut,
    async mend() {
      if (!relay) await openRelay();
    },
    async stop() {
      await cut();
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
