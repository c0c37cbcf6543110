#!/usr/bin/env node
/** Command line: `gateway run`, `gateway demo`, `gateway user add`, ... (see `--help`). */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { Role } from './api/roles.js';
import { GatewayApp } from './app.js';
import { loadConfig } from './config.js';
import { registerCustodyCommands } from './custody/cli.js';
import { GatewayError } from './errors.js';
import { createLogger } from './log.js';
import { passwordFromPrompt, passwordFromStdin } from './password-input.js';

const program = new Command('gateway')
  .description('Office edge gateway for enforcement recording equipment')
  .option('-c, --config <file>', 'config file (JSON); embedded defaults when absent');

async function withApp<T>(fn: (app: GatewayApp) => Promise<T>, opts: { start?: boolean } = {}): Promise<T> {
  const config = await loadConfig(program.opts().config);
  // Offline commands print their results on stdout: their logs go to stderr.
  const log = opts.start
    ? createLogger({ level: config.logLevel })
    : pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const app = new GatewayApp({ config, log, configSource: program.opts().config });
  if (opts.start) await app.start();
  else await app.open();
  try {
    return await fn(app);
  } finally {
    if (!opts.start) await app.db.close();
  }
}

/** Offline admin commands write their audit entries to the store's log (R24). */
async function withStore<T>(app: GatewayApp, fn: () => Promise<T>): Promise<T> {
  await app.store.start();
  try {
    return await fn();
  } finally {
    await app.store.stop();
  }
}

program
  .command('run')
  .description('run the gateway (broker, docks, cameras, API and dashboard)')
  .action(async () => {
    const config = await loadConfig(program.opts().config);
    const app = new GatewayApp({ config, configSource: program.opts().config });
    await app.start();
    const stop = async () => {
      await app.stop();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('demo')
  .description('run the gateway with a simulated fleet of recorders, docks and hearing-room cameras')
  .action(async () => {
    const { runDemo } = await import('./demo.js');
    await runDemo(await loadConfig(program.opts().config));
  });

const user = program.command('user').description('manage dashboard users');
user
  .command('add')
  .description('add a user; the password is asked for on the terminal (not echoed), or read from stdin')
  .requiredOption('-u, --username <name>', 'login name')
  .requiredOption('-n, --name <display>', 'display name, e.g. 张伟')
  .addOption(
    new Option('-r, --role <role...>', 'one or more roles').choices(Role.options).makeOptionMandatory(),
  )
  .option('--password-stdin', 'read the password (min 8 chars) from standard input, e.g. from a file')
  .action(async (o: { username: string; name: string; role: Role[]; passwordStdin?: boolean }) => {
    const password = o.passwordStdin ? await passwordFromStdin() : await passwordFromPrompt();
    await withApp((app) =>
      withStore(app, async () => {
        const u = await app.users.add(
          { username: o.username, displayName: o.name, roles: o.role, password },
          'cli',
        );
        console.log(JSON.stringify(u));
      }),
    );
  });
user
  .command('unlock')
  .description('lift a login lock on an account (legal affairs administer access rights, R24); audited')
  .argument('<username>', 'login name')
  .option('--by <name>', 'who is unlocking, for the audit log', 'cli')
  .action((username: string, o: { by: string }) =>
    withApp(async (app) => {
      await app.store.start();
      try {
        await app.loginGuard.start();
        const unlocked = await app.loginGuard.unlockAccount(username, `cli:${o.by}`.slice(0, 128));
        if (!unlocked) throw new GatewayError('NOT_FOUND', `${username} is not locked`);
        console.log(JSON.stringify({ username, unlocked }));
      } finally {
        await app.store.stop();
      }
    }),
  );
user
  .command('list')
  .description('list users')
  .action(() => withApp(async (app) => console.log(JSON.stringify(await app.users.list(), null, 2))));

program
  .command('cert')
  .description('TLS certificates for HTTPS and MQTT over TLS')
  .command('self-signed')
  .description(
    'write a self-signed certificate and its key (0600) for a quick start; prints the config to use',
  )
  .option('--out <dir>', 'directory for cert.pem and key.pem', './tls')
  .option('--host <name...>', 'host names and addresses the gateway is reached by', [
    'localhost',
    '127.0.0.1',
  ])
  .option('--days <n>', 'validity in days', '825')
  .option('--force', 'replace existing files')
  .action(async (o: { out: string; host: string[]; days: string; force?: boolean }) => {
    const { makeSelfSignedCert } = await import('./api/self-signed-cert.js');
    const days = Number(o.days);
    if (!Number.isInteger(days) || days < 1)
      throw new GatewayError('BAD_REQUEST', '--days must be a whole number');
    const files = await makeSelfSignedCert({
      certFile: join(o.out, 'cert.pem'),
      keyFile: join(o.out, 'key.pem'),
      hosts: o.host,
      days,
      force: o.force,
    });
    console.log(JSON.stringify({ http: { tls: files } }, null, 2));
    console.error(
      'Add the "http.tls" section above to the config file; browsers warn until the certificate is trusted.',
    );
  });

const recorder = program.command('recorder').description('manage field recorders (R21 registry)');
recorder
  .command('add')
  .description('register a recorder; prints its MQTT credential once (only a hash is kept)')
  .argument('<serial>', 'serial number (also its MQTT username and client id)')
  .option('-m, --model <model>', 'model')
  .option('-u, --unit <unit>', 'unit (处室) it belongs to')
  .option('--custodian <name>', 'equipment manager responsible for it')
  .action(async (serial: string, o: { model?: string; unit?: string; custodian?: string }) => {
    await withApp((app) =>
      withStore(app, async () => {
        const r = await app.field.registry.register({ serial, ...o }, 'cli');
        console.log(
          JSON.stringify({ ...r.recorder, username: serial, clientId: serial, password: r.credential }),
        );
        console.error('Store the password on the recorder now: it is not shown again.');
      }),
    );
  });
recorder
  .command('list')
  .description('list registered recorders')
  .action(() =>
    withApp(async (app) => console.log(JSON.stringify(await app.field.registry.list(), null, 2))),
  );

registerCustodyCommands(program, {
  config: () => loadConfig(program.opts().config),
  withApp: (fn) => withApp(fn),
});

program
  .command('reindex')
  .description('rebuild the clip index from the blobs and their sidecar manifests')
  .action(() =>
    withApp(async (app) => {
      await app.store.start();
      try {
        console.log(JSON.stringify(await app.store.reindex({ actor: 'cli' }), null, 2));
      } finally {
        await app.store.stop();
      }
    }),
  );

program.parseAsync().catch((err: unknown) => {
  if (err instanceof GatewayError) {
    console.error(`error [${err.code}]: ${err.message}`);
  } else {
    console.error(err);
  }
  process.exit(1);
});
