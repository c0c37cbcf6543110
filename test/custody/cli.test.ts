/**
 * `gateway key show` (what legal affairs write down: the key and its fingerprint in groups of four)
 * and `gateway checkpoint` (sign now, record, deliver to the witnesses), as the real CLI.
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Checkpoint, verifyCheckpointSignature } from '../../gateway/custody/checkpoint.js';
import { GatewayKeyJson, PublicKey } from '../../gateway/custody/signing-key.js';
import { gatewayCli, writeConfig } from './helpers.js';

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gateway key show / checkpoint', () => {
  it('prints the key for the register and signs a checkpoint to the witness', async () => {
    dir = await mkdtemp(join(tmpdir(), 'custody-cli-'));
    const dataDir = join(dir, 'data');
    const usb = join(dir, 'usb');
    await mkdir(usb); // the mounted stick
    const cfg = await writeConfig(dir, {
      dataDir,
      custody: { gatewayId: 'gw-cli', witnesses: { directories: [usb] } },
    });

    const shown = await gatewayCli(cfg, 'key', 'show');
    expect(shown.code).toBe(0);
    const keyFile = join(dataDir, 'keys', 'gateway-ed25519.pem');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const pub = PublicKey.parse(await readFile(keyFile, 'utf8'));
    const groups = pub.fingerprint.match(/.{4}/g)!.join(' ');
    expect(shown.stdout).toContain(`fingerprint:  ${groups}`);
    expect(shown.stdout).toContain(`public key:   ${pub.raw.toString('base64')}`);
    expect(shown.stdout).toContain('-----BEGIN PUBLIC KEY-----');
    expect(shown.stdout).not.toContain('PRIVATE');
    const json = GatewayKeyJson.parse(JSON.parse((await gatewayCli(cfg, 'key', 'show', '--json')).stdout));
    expect(json.fingerprint).toBe(pub.fingerprint);
    // Shown again: the same key (made once).
    expect((await gatewayCli(cfg, 'key', 'show')).stdout).toContain(groups);

    const issued = await gatewayCli(cfg, 'checkpoint', '--reason', '每周U盘');
    expect(issued.code).toBe(0);
    const cp = Checkpoint.parse(JSON.parse(issued.stdout));
    expect(verifyCheckpointSignature(cp, pub)).toEqual({ ok: true });
    expect(JSON.parse(await readFile(join(usb, 'latest.json'), 'utf8'))).toEqual(cp);
    const log = (await readFile(join(dataDir, 'store', 'audit', 'audit.jsonl'), 'utf8')).trim().split('\n');
    expect(JSON.parse(log.at(-1)!)).toMatchObject({
      type: 'checkpoint',
      actor: 'cli',
      details: { reason: '每周U盘' },
    });
    const verified = await gatewayCli(cfg, 'verify', '--checkpoint', join(usb, 'latest.json'));
    expect(verified.stdout).toContain('RESULT: OK');
  }, 60_000);
});
