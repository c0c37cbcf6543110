/**
 * A gateway that builds an evidence disc, in a child process the test SIGKILLs mid-build (argv:
 * config JSON file, work dir). Ingests three clips, adds a requester and a principal, requests and
 * approves one export, then prints `approved <exportId>` and keeps running. The test's PATH puts a
 * stand-in `xorriso` first that never finishes, so the kill lands while the image is being packed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatewayApp } from '../../gateway/app.js';
import { parseConfig } from '../../gateway/config.js';
import { createLogger } from '../../gateway/log.js';
import { clipBytes } from '../store/helpers.js';

const [configFile, work] = process.argv.slice(2) as [string, string];
const config = parseConfig(JSON.parse(await readFile(configFile, 'utf8')));
const app = new GatewayApp({ config, log: createLogger({ level: 'silent' }) });
await app.start();
const T0 = Date.now() - 3_600_000;
const clipIds = ['crash-a', 'crash-b', 'crash-c'];
for (const [i, clipId] of clipIds.entries()) {
  const path = join(work, `${clipId}.src`);
  await writeFile(path, clipBytes(700 + i, 400_000 + i * 123_457));
  await app.store.ingestFile(path, {
    clipId,
    source: { kind: 'recorder', id: 'REC-CRASH-1' },
    sessionId: 'sess-crash-1',
    officer: { id: 'off-crash', name: '赵警官', certNo: 'ZJ-77' },
    caseNo: 'CASE-CRASH-1',
    activity: 'inspection',
    start: T0 + i * 60_000,
    end: T0 + i * 60_000 + 55_000,
  });
}
await app.users.add({
  username: 'legal',
  displayName: '法规处',
  roles: ['legal-affairs'],
  password: 'pw-legal-1234',
});
await app.users.add({
  username: 'chief',
  displayName: '局长',
  roles: ['principal'],
  password: 'pw-chief-1234',
});
const req = await app.exports.request(
  {
    clipIds,
    sessionIds: [],
    hearingIds: [],
    interruptionIds: [],
    caseNo: 'CASE-CRASH-1',
    purpose: '移送法院作为证据',
    recipient: { kind: 'court', name: '某某区人民法院' },
    sensitivity: 'normal',
  },
  (await app.users.get('legal'))!,
);
await app.exports.approve(req.id, (await app.users.get('chief'))!);
process.stdout.write(`approved ${req.id}\n`);
