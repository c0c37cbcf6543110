/**
 * `npm run conformance -- --port /dev/ttyACM0 [--junit report.xml] [--release]`: runs the dock
 * conformance kit (PROTOCOL.md §3) against the recorder on a serial port or PTY.
 * `npm run conformance -- --mqtt --serial RB0001 [--listen 0.0.0.0:1883]`: runs a broker and the MQTT
 * kit (§2) against the recorder that connects to it, asking the person holding it for each step.
 * Exit 0 when every check passed.
 */
import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { SerialPortBinding } from '../protocol/dock/link/serialport-binding.js';
import type { CheckResult } from './check.js';
import { runDockConformance } from './dock/kit.js';
import { type KitAction, runMqttConformance } from './mqtt/kit.js';
import { junitReport, textReport } from './report.js';

const program = new Command('conformance')
  .description(
    'Checks a recorder against PROTOCOL.md: §3 (the dock link) or, with --mqtt, §2 (the field link).',
  )
  .option('--port <path>', 'serial port or PTY of the docked recorder (dock kit)')
  .option('--baud <n>', 'baud rate (ignored by USB CDC-ACM)', '921600')
  .option('--release', 'let the dock kit RELEASE one clip (the recorder deletes it)', false)
  .option('--max-clip-bytes <n>', 'largest clip read whole for the SHA-256 check', String(16 * 1024 * 1024))
  .option('--mqtt', 'run the MQTT kit: a broker the recorder connects to')
  .option('--serial <serial>', 'the recorder serial (MQTT kit)')
  .option(
    '--credential <secret>',
    'the credential to configure on the recorder (default: a random one, printed)',
  )
  .option('--listen <host:port>', 'where the kit broker listens (MQTT kit)', '0.0.0.0:1883')
  .option('--junit <file>', 'also write JUnit XML here')
  .parse();

const o = program.opts<{
  port?: string;
  baud: string;
  release: boolean;
  maxClipBytes: string;
  mqtt?: boolean;
  serial?: string;
  credential?: string;
  listen: string;
  junit?: string;
}>();

const prompts: Record<KitAction, string> = {
  connect: 'Configure the recorder with the broker, serial and credential above and power it on.',
  record: 'Start a session, record a few seconds, add a marker, stop and end the session.',
  'record-offline': 'The network is cut now. Record another session (start, marker, stop, end).',
  'power-off': 'Power the recorder off.',
};

async function run(): Promise<{ results: CheckResult[]; suite: string }> {
  if (o.mqtt) {
    const serial = o.serial ?? program.error('--mqtt needs --serial');
    const [host, port] = o.listen.includes(':') ? o.listen.split(':') : ['0.0.0.0', o.listen];
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const results = await runMqttConformance({
        serial,
        credential: o.credential,
        stepTimeoutMs: 120_000,
        host,
        port: Number(port),
        onListening: (i) =>
          process.stderr.write(
            `broker ${i.url.replace('0.0.0.0', '<this host>')}  serial ${i.serial}  credential ${i.credential}\n`,
          ),
        say: (l) => process.stderr.write(`${l}\n`),
        act: async (step) => {
          await rl.question(`${prompts[step]} Press Enter when done. `);
        },
      });
      return { results, suite: 'mqtt-conformance' };
    } finally {
      rl.close();
    }
  }
  const port = o.port ?? program.error('give --port (dock kit) or --mqtt --serial (MQTT kit)');
  const binding = new SerialPortBinding();
  const results = await runDockConformance({
    open: () => binding.open(port, { baudRate: Number(o.baud) }),
    say: (l) => process.stderr.write(`${l}\n`),
    release: o.release,
    maxClipBytes: Number(o.maxClipBytes),
  });
  return { results, suite: 'dock-conformance' };
}

const { results, suite } = await run();
process.stdout.write(`${textReport(results)}\n`);
if (o.junit) await writeFile(o.junit, junitReport(results, suite));
process.exit(results.every((r) => r.ok) ? 0 : 1);
