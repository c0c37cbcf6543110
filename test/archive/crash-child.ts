/**
 * A gateway that ingests one file and starts archiving it, in a child process the test SIGKILLs
 * mid-upload (argv: config JSON file, clip file). Prints `ingested` once the clip is queued.
 */
import { readFile } from 'node:fs/promises';
import { GatewayApp } from '../../gateway/app.js';
import { parseConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';

const [configFile, clipFile] = process.argv.slice(2) as [string, string];
const config = parseConfig(JSON.parse(await readFile(configFile, 'utf8')));
const app = new GatewayApp({ config, log: createLogger({ level: 'silent' }) });
await app.start();
await app.store.ingestFile(clipFile, {
  clipId: 'CRASH-1',
  source: { kind: 'recorder', id: 'R-9' },
  sessionId: 'S-9',
  start: Date.now() - 60_000,
  end: Date.now(),
});
process.stdout.write('ingested\n');
