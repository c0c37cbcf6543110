/**
 * `gateway verify` is read-only: on a log with a torn last line (a crash mid-write) it reports the
 * tear and changes nothing — the bytes of audit.jsonl and every LevelDB key and value are the same
 * after — and appends no `verify` entry. `gateway repair` is the audited command that cuts it.
 */
import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGateway } from '../helpers/gateway.js';
import { dumpLevel, gatewayCli, writeConfig } from './helpers.js';

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gateway verify never writes; gateway repair does, audited', () => {
  it('leaves a torn log and its index byte for byte as they were', async () => {
    dir = await mkdtemp(join(tmpdir(), 'verify-ro-'));
    const dataDir = join(dir, 'data');
    const usb = join(dir, 'usb');
    await mkdir(usb); // the mounted stick
    const config = { dataDir, custody: { gatewayId: 'gw-ro', witnesses: { directories: [usb] } } };
    const cfg = await writeConfig(dir, config);
    const gw = await startGateway(config);
    for (let i = 0; i < 5; i++) {
      await gw.app.store.audit.append({
        type: 'clip-access',
        actor: 'u',
        subject: `clip:c${i}`,
        details: { i },
      });
    }
    const cp = await gw.app.custody.issueCheckpoint('test', 'u');
    await gw.app.custody.flushWitnesses();
    await gw.stop();
    const file = join(dataDir, 'store', 'audit', 'audit.jsonl');
    // A crash in the middle of writing the next line.
    const torn = '{"actor":"gateway","at":"2026-12-07T0';
    await appendFile(file, torn);
    const before = { log: await readFile(file), index: await dumpLevel(join(dataDir, 'index')) };

    const r = await gatewayCli(cfg, 'verify', '--checkpoint', join(usb, 'latest.json'));
    expect(r.stdout).toMatch(
      new RegExp(
        `AUDIT torn last line at byte \\d+ \\(${torn.length} bytes, an interrupted write\\): run gateway repair`,
      ),
    );
    expect(r.stdout).toContain(`OK (gw-ro, ${cp.treeSize} entries`);
    expect(r.code).toBe(1);
    const json = await gatewayCli(cfg, 'verify', '--json');
    expect(JSON.parse(json.stdout).audit.tornTail.bytes).toBe(torn.length);

    expect((await readFile(file)).equals(before.log)).toBe(true);
    expect(await dumpLevel(join(dataDir, 'index'))).toEqual(before.index);

    // repair: cut, preserved in a store-recovery entry, and a repair entry; then verify is clean.
    const rep = await gatewayCli(cfg, 'repair');
    expect(rep.code).toBe(0);
    expect(JSON.parse(rep.stdout).tornLineCut).toMatchObject({ bytes: torn.length });
    const lines = (await readFile(file, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines.slice(-2).map((e) => e.type)).toEqual(['store-recovery', 'repair']);
    expect(lines.at(-2).details.text).toBe(torn);
    const after = await gatewayCli(cfg, 'verify', '--checkpoint', join(usb, 'latest.json'));
    expect(after.stdout).toContain('RESULT: OK');
    expect(after.code).toBe(0);
  }, 60_000);
});
