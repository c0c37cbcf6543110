#!/usr/bin/env node
/** Command line: `gateway run`, `gateway demo`, `gateway user add`, ... (see `--help`). */
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { AdminFailure, adminRequest } from './admin/client.js';
import { AdminRequest, socketPath } from './admin/protocol.js';
import { oneLine } from './admin/socket-server.js';
import type { GatewayApp } from './app.js';
import { loadConfig } from './config.js';
import { registerCustodyCommands } from './custody/cli.js';
import { GatewayError } from './errors.js';
import { passwordFromPrompt, passwordFromStdin } from './password-input.js';
import { Role } from './roles.js';

const program = new Command('gateway')
  .description('Office edge gateway for enforcement recording equipment')
  .option('-c, --config <file>', 'config file (JSON); embedded defaults when absent');

/** Opens the data dir for an offline command; its logs go to stderr (results are on stdout). */
async function openApp(): Promise<GatewayApp> {
  const config = await loadConfig(program.opts().config);
  const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
  const { GatewayApp } = await import('./app.js');
  const app = new GatewayApp({ config, log, configSource: program.opts().config });
  await app.open();
  return app;
}

/**
 * An admin command: done by the running gateway through its admin socket, or, when none is
 * listening, here on the data dir (R24: audited either way).
 */
async function admin(input: AdminRequest): Promise<unknown> {
  const parsed = AdminRequest.safeParse(input);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new GatewayError('BAD_REQUEST', `${i?.path.join('.')}: ${i?.message}`);
  }
  const req = parsed.data;
  const config = await loadConfig(program.opts().config);
  const online = await adminRequest(socketPath(config.dataDir), req);
  if (online) return online.result;
  // The app's whole module graph is loaded only when needed: a command the running gateway does is quick.
  const { runOffline } = await import('./admin/commands.js');
  return runOffline(config, openApp, req);
}

const print = (v: unknown, pretty = true) => console.log(JSON.stringify(v, null, pretty ? 2 : undefined));

program
  .command('run')
  .description('run the gateway (broker, docks, cameras, API and dashboard)')
  .action(async () => {
    const config = await loadConfig(program.opts().config);
    (await import('./heap.js')).tuneHeap();
    const { GatewayApp } = await import('./app.js');
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

const central = program
  .command('central')
  .description(
    "run the province's central view: every office's health, interruptions, statistics, backlog and checkpoints (read-only)",
  )
  .option('--demo', 'with a loopback broker and simulated offices')
  .option('--offices <n>', 'simulated offices (with --demo)', '6')
  .option('--recorders <n>', 'recorders per simulated office (with --demo)', '50')
  .action(async (o: { demo?: boolean; offices: string; recorders: string }) => {
    const { loadCentralConfig } = await import('./central/config.js');
    const config = await loadCentralConfig(program.opts().config);
    if (o.demo) {
      const offices = Number(o.offices);
      const recorders = Number(o.recorders);
      if (![offices, recorders].every((n) => Number.isInteger(n) && n >= 1 && n <= 1000))
        throw new GatewayError(
          'BAD_REQUEST',
          '--offices and --recorders must be whole numbers from 1 to 1000',
        );
      const { runCentralDemo } = await import('./central/demo.js');
      await runCentralDemo(config, { offices, recorders });
      return;
    }
    const { CentralApp } = await import('./central/app.js');
    const app = new CentralApp({ config });
    await app.start();
    const stop = async () => {
      await app.stop();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
central
  .command('user-add')
  .description(
    'add a provincial user to central (central stopped); the password is asked for, or read from stdin',
  )
  .requiredOption('-u, --username <name>', 'login name')
  .requiredOption('-n, --name <display>', 'display name')
  .option('--password-stdin', 'read the password (min 8 chars) from standard input')
  .action(async (o: { username: string; name: string; passwordStdin?: boolean }) => {
    const password = o.passwordStdin ? await passwordFromStdin() : await passwordFromPrompt();
    const { loadCentralConfig } = await import('./central/config.js');
    const { CentralApp } = await import('./central/app.js');
    const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' }, pino.destination(2));
    const app = new CentralApp({ config: await loadCentralConfig(program.opts().config), log });
    await app.open();
    try {
      const u = await app.users.add(
        { username: o.username, displayName: o.name, roles: ['provincial'], password },
        'cli',
      );
      print(u, false);
    } finally {
      await app.stop();
    }
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
    const { username, name: displayName, role: roles } = o;
    print(await admin({ command: 'user-add', username, displayName, roles, password }), false);
  });
user
  .command('unlock')
  .description('lift a login lock on an account (legal affairs administer access rights, R24); audited')
  .argument('<username>', 'login name')
  .option('--by <name>', 'who is unlocking, for the audit log')
  .action(async (username: string, o: { by?: string }) =>
    print(await admin({ command: 'user-unlock', username, by: o.by }), false),
  );
user
  .command('reset-password')
  .description(
    "set a new password (asked for without echo, or --password-stdin); the account's sessions end; audited",
  )
  .argument('<username>', 'login name')
  .option('--password-stdin', 'read the new password from standard input')
  .option('--by <name>', 'who resets it, for the audit log')
  .action(async (username: string, o: { passwordStdin?: boolean; by?: string }) => {
    const password = o.passwordStdin ? await passwordFromStdin() : await passwordFromPrompt();
    print(await admin({ command: 'user-reset', username, password, by: o.by }), false);
  });
user
  .command('list')
  .description('list users')
  .action(async () => print(await admin({ command: 'user-list' })));

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
    const { makeSelfSignedCert } = await import('./self-signed-cert.js');
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
    print(await admin({ command: 'recorder-add', serial, ...o }), false);
    console.error('Store the password on the recorder now: it is not shown again.');
  });
recorder
  .command('list')
  .description('list registered recorders')
  .action(async () => print(await admin({ command: 'recorder-list' })));

registerCustodyCommands(program, {
  config: () => loadConfig(program.opts().config),
  admin,
});

program
  .command('backup')
  .description(
    'copy the data dir to DEST (new or empty), consistent while the gateway runs; originals hard-linked on the same filesystem',
  )
  .argument('<dest>', 'directory for the backup')
  .option('--by <name>', 'who takes it, for the audit log')
  .action(async (dest: string, o: { by?: string }) =>
    print(await admin({ command: 'backup', dest: resolve(dest), by: o.by })),
  );

program
  .command('restore')
  .description('restore a backup into the configured data dir, which must not exist or be empty')
  .argument('<src>', 'a directory written by gateway backup')
  .option('--by <name>', 'who restores, for the audit log')
  .action(async (src: string, o: { by?: string }) => {
    const config = await loadConfig(program.opts().config);
    const { restoreOffline } = await import('./admin/commands.js');
    print(await restoreOffline(config, openApp, src, o.by));
    console.error('Restored. Check it with gateway verify before starting the gateway.');
  });

program
  .command('reindex')
  .description('rebuild the clip index from the blobs and their sidecar manifests')
  .action(async () => print(await admin({ command: 'reindex' })));

program.parseAsync().catch((err: unknown) => {
  // One line, never a stack (LOG_LEVEL=debug shows it): the CLI is for the office, not for us.
  if (err instanceof GatewayError || err instanceof AdminFailure) {
    console.error(`error [${err.code}]: ${oneLine(err.message)}`);
  } else {
    console.error(`error: ${oneLine(err instanceof Error ? err.message : String(err))}`);
    if (process.env.LOG_LEVEL === 'debug') console.error(err);
  }
  process.exit(1);
});
