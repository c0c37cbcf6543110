/**
 * Signed checkpoints from a real gateway (FORMATS.md §2): the key made on first start (0600 in a
 * 0700 dir), a checkpoint issued on demand over HTTP and at start when the log grew, recorded as a
 * `checkpoint` entry, delivered to a directory witness (files, log copy, receipt) and to an upstream
 * MQTT broker (aedes over TCP, retained QoS 1); a failing witness alerts and never blocks the log;
 * a log that no longer matches its last checkpoint is a critical alert at start.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkpoint, verifyCheckpointSignature } from '../../gateway/custody/checkpoint.js';
import { leafHash, rootOfLeaves, toHex } from '../../gateway/custody/merkle.js';
import { PublicKey } from '../../gateway/custody/signing-key.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { logLines } from './helpers.js';

async function fill(gw: TestGateway, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await gw.app.store.audit.append({
      type: 'clip-access',
      actor: `user:legal-${i % 3}`,
      subject: `clip:c${i}`,
      details: { action: 'view', reason: `案件审查 ${i}` },
    });
  }
}

describe('signed checkpoints and witnesses', () => {
  let dir: string;
  let gw: TestGateway | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'custody-'));
  });
  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('issues, records, signs and delivers a checkpoint; checks the log against it at the next start', async () => {
    const usb = join(dir, 'usb');
    await mkdir(usb); // the mounted stick
    const dataDir = join(dir, 'data');
    const config = { dataDir, custody: { gatewayId: '执法网关-01', witnesses: { directories: [usb] } } };
    gw = await startGateway(config);
    const keyFile = join(dataDir, 'keys', 'gateway-ed25519.pem');
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dataDir, 'keys'))).mode & 0o777).toBe(0o700);

    await fill(gw, 12);
    const principal = await gw.as('principal');
    const issued = await principal.post('/api/custody/checkpoints', { reason: '移交U盘前' });
    expect(issued.status).toBe(200);
    const cp = Checkpoint.parse(issued.body);
    const size = gw.app.store.audit.tree.size - 1; // the checkpoint's own entry came after
    expect(cp.treeSize).toBe(size);
    expect(cp.origin).toBe('执法网关-01');

    // The root is RFC 9162 over the exact lines of audit.jsonl.
    const lines = logLines(await readFile(gw.app.store.audit.file));
    expect(cp.rootHash).toBe(toHex(rootOfLeaves(lines.slice(0, cp.treeSize).map((l) => leafHash(l)))));
    const keyRes = await principal.get('/api/custody/key');
    expect(keyRes.status).toBe(200);
    const pub = PublicKey.parse(
      JSON.stringify({
        v: 1,
        alg: 'Ed25519',
        publicKey: keyRes.body.publicKey,
        fingerprint: keyRes.body.fingerprint,
      }),
    );
    expect(PublicKey.parse(keyRes.body.pem).fingerprint).toBe(pub.fingerprint);
    expect(keyRes.body.fingerprintGrouped.split(' ')).toHaveLength(16);
    expect(verifyCheckpointSignature(cp, pub)).toEqual({ ok: true });
    expect(verifyCheckpointSignature({ ...cp, treeSize: cp.treeSize - 1 }, pub).ok).toBe(false);

    // Recorded as an audit entry (with the signature) and listed.
    const entry = JSON.parse(lines[cp.treeSize]!.toString());
    expect(entry).toMatchObject({
      type: 'checkpoint',
      actor: principal.username,
      subject: `checkpoint:${cp.treeSize}`,
    });
    expect(entry.details).toMatchObject({
      reason: '移交U盘前',
      rootHash: cp.rootHash,
      signature: cp.signature,
    });
    expect((await principal.get('/api/custody/checkpoints/latest')).body).toEqual(cp);
    expect((await principal.get('/api/custody/checkpoints')).body[0]).toEqual(cp);

    // The directory witness holds it, the key, a byte-exact copy of the lines and the receipt.
    await gw.app.custody.flushWitnesses();
    // A temp dir is on the box's own disk, as an unmounted stick's mount point would be: said so.
    expect(gw.app.alerts.activeFor('custody-witness', `dir:${usb}`)?.message).toContain(
      'has not left the box',
    );
    expect(JSON.parse(await readFile(join(usb, `checkpoint-${cp.treeSize}.json`), 'utf8'))).toEqual(cp);
    expect(JSON.parse(await readFile(join(usb, 'latest.json'), 'utf8'))).toEqual(cp);
    expect(JSON.parse(await readFile(join(usb, 'gateway-key.json'), 'utf8'))).toEqual(pub.toJson());
    const copy = await readFile(join(usb, 'audit.jsonl'));
    expect(
      copy.equals(
        Buffer.concat(lines.slice(0, cp.treeSize).map((l) => Buffer.concat([l, Buffer.from('\n')]))),
      ),
    ).toBe(true);
    const receipt = await principal.get(`/api/custody/checkpoints/${cp.treeSize}/receipt`);
    expect(receipt.status).toBe(200);
    const pdfPath = join(usb, `receipt-${cp.treeSize}.pdf`);
    const text = execFileSync('pdftotext', ['-layout', pdfPath, '-'], { encoding: 'utf8' });
    for (const s of [
      '审计日志托管凭证',
      '执法网关-01',
      String(cp.treeSize),
      cp.at,
      '单位负责人',
      cp.keyId.slice(0, 4),
    ]) {
      expect(text).toContain(s);
    }
    expect((await principal.get('/api/custody/checkpoints/999999/receipt')).status).toBe(404);

    // Next start: the log grew, so a checkpoint is issued; the witness's copy is extended, not rewritten.
    await gw.stop();
    gw = undefined;
    gw = await startGateway(config);
    await fill(gw, 3);
    await gw.stop();
    gw = await startGateway(config);
    const again = await gw.app.custody.latestCheckpoint();
    expect(again!.treeSize).toBeGreaterThan(cp.treeSize);
    await gw.app.custody.flushWitnesses();
    const copy2 = await readFile(join(usb, 'audit.jsonl'));
    expect(copy2.subarray(0, copy.length).equals(copy)).toBe(true);
    expect(logLines(copy2)).toHaveLength(again!.treeSize);
    expect(gw.app.alerts.activeFor('audit-log-integrity', 'audit-log')).toBeUndefined();

    // Someone edits an entry while the gateway is down: the next start raises a critical alert.
    await gw.stop();
    gw = undefined;
    const file = join(dataDir, 'store', 'audit', 'audit.jsonl');
    const raw = await readFile(file, 'utf8');
    const edited = raw.split('\n').findIndex((l) => l.includes('案件审查 4')) + 1;
    await writeFile(file, raw.replace('案件审查 4', '案件审查 X'));
    gw = await startGateway(config);
    const alert = gw.app.alerts.activeFor('audit-log-integrity', 'audit-log');
    expect(alert).toMatchObject({ severity: 'critical', notify: ['principal', 'legal-affairs'] });
    expect(alert!.details).toMatchObject({
      firstDifference: { fromSeq: edited, toSeq: edited, exact: true, kind: 'altered' },
    });
    const failure = (await gw.app.store.audit.recent(5)).find((e) => e.type === 'integrity-failure');
    expect(failure).toBeDefined();
    await expect(gw.app.custody.issueCheckpoint('x', 'test')).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
    });
    // Still refused after another restart while the alert is open; once resolved, the next
    // checkpoint anchors the log as it now is and later starts agree with it.
    await gw.stop();
    gw = await startGateway(config);
    await expect(gw.app.custody.issueCheckpoint('x', 'test')).rejects.toMatchObject({
      code: 'STORE_CORRUPT',
    });
    await gw.app.alerts.clear('audit-log-integrity', 'audit-log');
    const anchored = await gw.app.custody.issueCheckpoint('after investigation', 'user:principal');
    await gw.app.custody.flushWitnesses();
    await gw.stop();
    gw = await startGateway(config);
    expect(gw.app.alerts.activeFor('audit-log-integrity', 'audit-log')).toBeUndefined();
    expect((await gw.app.custody.latestCheckpoint())!.treeSize).toBeGreaterThanOrEqual(anchored.treeSize);
    expect(await gw.app.custody.issueCheckpoint('ok again', 'user:principal')).toMatchObject({
      origin: '执法网关-01',
    });
  });

  it('back-to-back checkpoints extend the witness copy once each, in order', async () => {
    const usb = join(dir, 'usb');
    await mkdir(usb);
    gw = await startGateway({
      dataDir: join(dir, 'data'),
      custody: { gatewayId: 'gw-b2b', witnesses: { directories: [usb], receipts: false } },
    });
    await fill(gw, 3);
    const app = gw.app;
    const issued = await Promise.all(
      Array.from({ length: 6 }, () => app.custody.issueCheckpoint('back to back', 'user:p')),
    );
    const last = issued.at(-1)!;
    await gw.app.custody.flushWitnesses();
    const lines = logLines(await readFile(gw.app.store.audit.file)).slice(0, last.treeSize);
    const expected = Buffer.concat(lines.map((l) => Buffer.concat([l, Buffer.from('\n')])));
    expect((await readFile(join(usb, 'audit.jsonl'))).equals(expected)).toBe(true);
    expect(JSON.parse(await readFile(join(usb, 'latest.json'), 'utf8'))).toEqual(last);
  });

  it('keeps the checkpoint retained on an upstream MQTT broker; a dead witness alerts and the log goes on', async () => {
    const broker = await Aedes.createBroker();
    const server = net.createServer((sock) => broker.handle(sock));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await writeFile(join(dir, 'plain-file'), 'not a directory');
    try {
      gw = await startGateway({
        dataDir: join(dir, 'data'),
        custody: {
          gatewayId: 'gw-mqtt',
          witnesses: {
            // A witness under a plain file: every delivery fails (ENOTDIR).
            directories: [join(dir, 'plain-file', 'usb')],
            mqtt: [{ url: `mqtt://127.0.0.1:${port}`, topic: 'archive/gw-mqtt/checkpoint', timeoutMs: 3000 }],
          },
        },
      });
      await fill(gw, 4);
      const cp = await gw.app.custody.issueCheckpoint('test', 'user:p');
      await gw.app.custody.flushWitnesses();
      // A late subscriber gets it: retained.
      const sub = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
      const got = new Promise<string>((resolve) =>
        sub.on('message', (_t, payload) => resolve(payload.toString())),
      );
      await sub.subscribeAsync('archive/gw-mqtt/checkpoint', { qos: 1 });
      expect(JSON.parse(await got)).toEqual(cp);
      await sub.endAsync();
      const mqttName = `mqtt:mqtt://127.0.0.1:${port}/archive/gw-mqtt/checkpoint`;
      expect(gw.app.alerts.activeFor('custody-witness', mqttName)).toBeUndefined();
      // The unusable directory alerted, without stopping anything.
      expect(
        gw.app.alerts.activeFor('custody-witness', `dir:${join(dir, 'plain-file', 'usb')}`),
      ).toMatchObject({
        severity: 'warning',
        notify: ['principal', 'legal-affairs'],
      });

      // Broker gone: the next checkpoint is still issued and logged; the MQTT witness alerts.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await fill(gw, 2);
      const cp2 = await gw.app.custody.issueCheckpoint('test', 'user:p');
      expect(cp2.treeSize).toBeGreaterThan(cp.treeSize);
      await gw.app.custody.flushWitnesses();
      await waitFor(() => gw?.app.alerts.activeFor('custody-witness', mqttName), 'the MQTT witness alert');
      await gw.app.store.audit.append({ type: 'verify', actor: 'gateway', subject: 'store:x' });
    } finally {
      server.close();
    }
  });
});
