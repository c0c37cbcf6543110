/**
 * `npm run conformance -- --port /dev/ttyACM0 [--junit report.xml] [--release]`: runs the dock
 * conformance kit (PROTOCOL.md §3) against the recorder on a serial port or PTY. Exit 0 when every
 * check passed.
 */
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { SerialPortBinding } from '../protocol/dock/link/serialport-binding.js';
import { runDockConformance } from './dock/kit.js';
import { junitReport, textReport } from './report.js';

const program = new Command('conformance')
  .description('Checks a recorder against PROTOCOL.md §3 (the dock link), acting as the gateway.')
  .requiredOption('--port <path>', 'serial port or PTY of the docked recorder')
  .option('--baud <n>', 'baud rate (ignored by USB CDC-ACM)', '921600')
  .option('--junit <file>', 'also write JUnit XML here')
  .option('--release', 'let the kit RELEASE one clip (the recorder deletes it)', false)
  .option('--max-clip-bytes <n>', 'largest clip read whole for the SHA-256 check', String(16 * 1024 * 1024))
  .parse();

const o = program.opts<{
  port: string;
  baud: string;
  junit?: string;
  release: boolean;
  maxClipBytes: string;
}>();
const binding = new SerialPortBinding();
const results = await runDockConformance({
  open: () => binding.open(o.port, { baudRate: Number(o.baud) }),
  say: (l) => process.stderr.write(`${l}\n`),
  release: o.release,
  maxClipBytes: Number(o.maxClipBytes),
});
process.stdout.write(`${textReport(results)}\n`);
if (o.junit) await writeFile(o.junit, junitReport(results));
process.exit(results.every((r) => r.ok) ? 0 : 1);
