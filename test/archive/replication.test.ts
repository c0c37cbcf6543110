/**
 * Archive replication against a real single-node Ceph RGW with Object Lock: copies checked on
 * receipt (a byte flipped on the way is refused) under COMPLIANCE retention, read-back audits that
 * catch an altered copy, locked versions that cannot be deleted, legal holds, and a queue that
 * survives the archive being down and a killed gateway.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveConfig } from '../../gateway/archive/config.js';
import { NOTHING_EVICTABLE_RULE } from '../../gateway/archive/eviction.js';
import { LATEST_LOCK } from '../../gateway/archive/retention.js';
import { ArchiveBucket } from '../../gateway/archive/s3.js';
import { ArchiveService } from '../../gateway/archive/service.js';
import { CentralApp } from '../../gateway/central/app.js';
import { ARCHIVE_MISMATCH_RULE } from '../../gateway/central/archive-reader.js';
import { parseCentralConfig } from '../../gateway/central/config.js';
import { openDb } from '../../gateway/db.js';
import { EventBus } from '../../gateway/events.js';
import { createLogger } from '../../gateway/log.js';
import type { UpstreamMessage } from '../../gateway/uplink/messages.js';
import { upstreamTopic } from '../../protocol/upstream/topics.js';
import { type CephCluster, skipWithoutCeph, startCeph } from '../helpers/ceph.js';
import { REPO } from '../helpers/child-gateway.js';
import { apiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { connectAs, startBroker, type TestBroker } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/wait.js';

const DAY = 86_400_000;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * A TCP proxy to `port` that flips one bit in the body of the first PUT whose Content-Length is
 * `bodyBytes` (at body offset 1000), as a bad link or NIC would; everything else passes.
 */
async function flippingProxy(
  port: number,
  bodyBytes: number,
): Promise<{ url: string; server: Server; flips: () => number }> {
  let flips = 0;
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port });
    let head = '';
    let body = 0; // body bytes still to come of the current request
    let flipAt = -1; // offset into that body, or -1
    client.on('data', (chunk: Buffer) => {
      let i = 0;
      while (i < chunk.length) {
        if (body > 0) {
          const n = Math.min(body, chunk.length - i);
          const at = flipAt - (bodyBytes - body);
          if (flipAt >= 0 && at >= 0 && at < n) {
            chunk[i + at] = (chunk[i + at] ?? 0) ^ 0x01;
            flips++;
            flipAt = -1;
          }
          body -= n;
          i += n;
          continue;
        }
        head += String.fromCharCode(chunk[i++]!);
        if (!head.endsWith('\r\n\r\n')) continue;
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (head.startsWith('PUT ') && length === bodyBytes && flips === 0) flipAt = 1000;
        body = length;
        head = '';
      }
      upstream.write(chunk);
    });
    upstream.on('data', (d) => client.write(d));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  return { url, server, flips: () => flips };
}

describe.skipIf(skipWithoutCeph('test/archive/replication.test.ts'))('archive on Ceph RGW', () => {
  let ceph: CephCluster;
  let gw: TestGateway;
  let s3: ArchiveBucket;
  let dir: string;
  let credentialsFile: string;
  let broker: TestBroker;
  let central: CentralApp;
  const archiveConfig = (over: Record<string, unknown> = {}) => ({
    endpoint: ceph.endpoint,
    bucket: 'originals',
    office: 'office-7',
    credentialsFile,
    createBucket: true,
    retryMs: 100,
    // Passes only when a test runs one (readBackPass), 1 MB each.
    readBack: { everyHours: 0, budgetMb: 1 },
    ...over,
  });

  async function clipFile(name: string, bytes: number): Promise<{ path: string; body: Buffer }> {
    const body = randomBytes(bytes);
    const path = join(dir, name);
    await writeFile(path, body);
    return { path, body };
  }

  async function ingest(
    g: TestGateway,
    clipId: string,
    bytes = 64 * 1024,
    activity?: 'hearing',
    start = Date.now() - 60_000,
  ) {
    const { path, body } = await clipFile(`${clipId}.mp4`, bytes);
    await g.app.store.ingestFile(path, {
      clipId,
      source: { kind: 'recorder', id: 'R-1' },
      sessionId: `S-${clipId}`,
      activity,
      start,
      end: start + 60_000,
    });
    return body;
  }

  const archived = (g: TestGateway, clipId: string) =>
    waitFor(() => g.app.archive.copyOf(clipId), `${clipId} archived`, 45_000, 50);

  beforeAll(async () => {
    ceph = await startCeph();
    dir = await mkdtemp(join(tmpdir(), 'archive-test-'));
    credentialsFile = join(dir, 'credentials.json');
    await writeFile(
      credentialsFile,
      JSON.stringify({ accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey }),
    );
    s3 = new ArchiveBucket({
      endpoint: ceph.endpoint,
      region: 'us-east-1',
      bucket: 'originals',
      credentials: { accessKeyId: ceph.accessKeyId, secretAccessKey: ceph.secretAccessKey },
    });
    // The province: a broker and `gateway central` reading the same bucket.
    broker = await startBroker(['central', 'office-7']);
    central = new CentralApp({
      config: parseCentralConfig({
        dataDir: join(dir, 'central'),
        http: { host: '127.0.0.1', port: 0 },
        broker: { url: broker.url, passwordFile: broker.passwordFile('central'), caFile: broker.caFile },
        archive: { endpoint: ceph.endpoint, bucket: 'originals', credentialsFile },
      }),
      log: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
    });
    await central.start();
    gw = await startGateway({
      archive: archiveConfig(),
      uplink: {
        url: broker.url,
        office: 'office-7',
        passwordFile: broker.passwordFile('office-7'),
        caFile: broker.caFile,
        healthEveryS: 3600,
        reconnectS: 0.2,
      },
    });
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await central?.stop();
    await broker?.stop();
    s3?.destroy();
    await ceph?.stop();
  }, 60_000);

  it('replicates a verified original and its sidecar under COMPLIANCE retention, read back by hash', async () => {
    const body = await ingest(gw, 'C-1');
    const copy = await archived(gw, 'C-1');
    expect(copy.key).toBe(`office-7/originals/${sha(body)}`);
    expect(copy.sha256).toBe(sha(body));
    const rb = await s3.readBack(copy.key, copy.versionId);
    expect(rb.sha256).toBe(sha(body));
    expect(rb.claimed).toBe(sha(body));
    const r = await s3.client.send(
      new GetObjectRetentionCommand({ Bucket: 'originals', Key: copy.key, VersionId: copy.versionId }),
    );
    expect(r.Retention?.Mode).toBe('COMPLIANCE');
    // Ordinary footage: the 6-month floor.
    expect(r.Retention!.RetainUntilDate!.getTime()).toBeGreaterThan(Date.now() + 182 * DAY);
    expect(copy.sidecar?.key).toBe(`office-7/originals/${sha(body)}.C-1.json`);
    const side = await s3.readBack(copy.sidecar!.key, copy.sidecar!.versionId);
    expect(side.bytes).toBeGreaterThan(0);

    const sup = await gw.as('principal');
    const view = await sup.get('/api/archive/clips/C-1');
    expect(view.body.archived.versionId).toBe(copy.versionId);
    const status = await sup.get('/api/archive');
    expect(status.body).toMatchObject({ enabled: true, bucket: 'originals' });
    const entries = await gw.app.store.audit.bySubject('clip:C-1');
    expect(entries.some((e) => e.type === 'archive' && e.details.action === 'replicated')).toBe(true);
  });

  it('has a byte flipped on the way refused by the archive on receipt, and sends the original again', async () => {
    const SIZE = 1 << 20;
    const body = await ingest(gw, 'P-1', SIZE);
    const proxy = await flippingProxy(Number(new URL(ceph.endpoint).port), SIZE);
    const pdir = await mkdtemp(join(tmpdir(), 'archive-proxy-'));
    const db = await openDb(join(pdir, 'index'));
    const failures: string[] = [];
    const log = createLogger({ level: 'silent' });
    log.warn = ((o: { err?: string }) => {
      if (o?.err) failures.push(o.err);
    }) as typeof log.warn;
    // The gateway's own store, replicated a second time under another office through the proxy.
    const archive = new ArchiveService({
      config: ArchiveConfig.parse({ ...archiveConfig(), endpoint: proxy.url, office: 'office-proxy' }),
      timeZone: 'Asia/Shanghai',
      db,
      store: gw.app.store,
      bus: new EventBus(),
      alerts: { raise: async (a) => a as never, clear: async () => true },
      log,
    });
    try {
      await archive.start();
      const copy = await waitFor(() => archive.copyOf('P-1'), 'P-1 archived through the proxy', 45_000, 50);
      expect(proxy.flips()).toBe(1);
      expect(failures.some((f) => /refused the bytes it received/.test(f))).toBe(true);
      // What the archive holds under the recorded version is the original, not the flipped bytes.
      expect(copy.key).toBe(`office-proxy/originals/${sha(body)}`);
      const rb = await s3.readBack(copy.key, copy.versionId);
      expect(rb.sha256).toBe(sha(body));
      const versions = await s3.client.send(
        new ListObjectVersionsCommand({ Bucket: 'originals', Prefix: copy.key }),
      );
      expect((versions.Versions ?? []).filter((v) => v.Key === copy.key)).toHaveLength(1);
    } finally {
      await archive.stop();
      await db.close();
      proxy.server.close();
    }
  });

  it("lets the province list an office's originals and read one from the archive, checked against the office's report, audited", async () => {
    const body = await ingest(gw, 'PV-1');
    const copy = await archived(gw, 'PV-1');
    await waitFor(() => central.ledger.original('office-7', 'PV-1'), 'PV-1 reported to central', 30_000, 50);
    const url = `http://127.0.0.1:${central.httpPort}`;
    await central.users.add({
      username: 'prov',
      displayName: '省局',
      roles: ['provincial'],
      password: 'pw-prov-1234',
    });
    const prov = await apiClient(url, 'prov', 'pw-prov-1234');
    const list = await prov.get('/api/central/offices/office-7/originals');
    expect(list.status).toBe(200);
    expect(list.body.originals.find((o: { clipId: string }) => o.clipId === 'PV-1')).toMatchObject({
      key: copy.key,
      versionId: copy.versionId,
      sha256: sha(body),
      bytes: body.length,
    });
    const path = '/api/central/offices/office-7/originals/PV-1/content';
    expect((await prov.get(path)).status).toBe(400); // R24: no reading without a reason
    const login = await fetch(`${url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'prov', password: 'pw-prov-1234' }),
    });
    const auth = { authorization: `Bearer ${((await login.json()) as { token: string }).token}` };
    const res = await fetch(`${url}${path}?action=download&reason=${encodeURIComponent('督查 K-9')}`, {
      headers: auth,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-sha256')).toBe(sha(body));
    expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
    const reads = await central.audit.bySubject('clip:office-7/PV-1');
    expect(reads.find((e) => e.type === 'clip-access')?.details).toMatchObject({
      action: 'download',
      reason: '督查 K-9',
      role: 'provincial',
      versionId: copy.versionId,
    });
    expect(reads.find((e) => e.type === 'clip-access')?.actor).toBe('prov');

    // A report whose bytes the archive does not hold (a forged report, or an S3 administrator who
    // purged a version and wrote other bytes): the reading fails before its end, audited and alerted.
    const claimed = randomBytes(200 * 1024);
    const other = randomBytes(claimed.length);
    const key = `office-7/originals/${sha(claimed)}`;
    const put = await s3.client.send(new PutObjectCommand({ Bucket: 'originals', Key: key, Body: other }));
    const forged: UpstreamMessage = {
      v: 1,
      office: 'office-7',
      epoch: 'f0f0f0f0f0f0f0f0',
      seq: 1,
      at: new Date().toISOString(),
      kind: 'event',
      body: {
        type: 'clip.archived',
        subject: 'P-FORGED',
        details: {
          bucket: 'originals',
          key,
          versionId: put.VersionId!,
          sha256: sha(claimed),
          bytes: claimed.length,
          retainUntil: new Date(Date.now() + DAY).toISOString(),
          legalHold: false,
        },
      },
    };
    const client = await connectAs(broker, 'office-7', 'forger');
    try {
      await client.publishAsync(upstreamTopic('office-7', 'event'), JSON.stringify(forged), { qos: 1 });
    } finally {
      await client.endAsync(true);
    }
    await waitFor(() => central.ledger.original('office-7', 'P-FORGED'), 'forged report taken', 30_000, 50);
    const bad = await fetch(`${url}/api/central/offices/office-7/originals/P-FORGED/content?reason=check`, {
      headers: auth,
    });
    const got = await bad.arrayBuffer().then(
      (b) => Buffer.from(b),
      () => null,
    );
    expect(got?.equals(other) ?? false).toBe(false);
    await waitFor(
      async () => (await central.alerts.list({ active: true, rule: ARCHIVE_MISMATCH_RULE })).length > 0,
      'mismatch alert at central',
    );
    const entries = await central.audit.bySubject('clip:office-7/P-FORGED');
    expect(entries.map((e) => e.type)).toEqual(['clip-access', 'integrity-failure']);
  });

  it('refuses to delete a locked version, even with a governance bypass', async () => {
    await ingest(gw, 'C-2');
    const copy = await archived(gw, 'C-2');
    for (const bypass of [false, true]) {
      await expect(
        s3.client.send(
          new DeleteObjectCommand({
            Bucket: 'originals',
            Key: copy.key,
            VersionId: copy.versionId,
            BypassGovernanceRetention: bypass,
          }),
        ),
      ).rejects.toThrow();
    }
    expect((await s3.readBack(copy.key, copy.versionId)).sha256).toBe(copy.sha256);
  });

  it('keeps hearings permanently and holds clips of an approved export', async () => {
    await ingest(gw, 'H-1', 4096, 'hearing');
    const h = await archived(gw, 'H-1');
    // "Permanent": the latest date RGW can hold (see LATEST_LOCK).
    expect(h.retainUntil).toBe(LATEST_LOCK.toISOString());

    await ingest(gw, 'E-1');
    const before = await archived(gw, 'E-1');
    expect(before.legalHold).toBe(false);
    const at = new Date().toISOString();
    await gw.app.store.placeLegalHold('E-1', { exportId: 'X-1', caseNo: 'K-1', at, by: 'principal' });
    await gw.app.archive.enqueue({ kind: 'hold', clipId: 'E-1' });
    await waitFor(async () => (await gw.app.archive.copyOf('E-1'))?.legalHold, 'legal hold', 30_000, 50);
    const lh = await s3.client.send(
      new GetObjectLegalHoldCommand({ Bucket: 'originals', Key: before.key, VersionId: before.versionId }),
    );
    expect(lh.LegalHold?.Status).toBe('ON');
  });

  it('replicates each signed checkpoint and the log segment it seals', async () => {
    const cp = await gw.app.custody.issueCheckpoint('test', 'tester');
    const key = `office-7/checkpoints/checkpoint-${cp.treeSize}.json`;
    await waitFor(() => s3.head(key), 'checkpoint archived', 30_000, 50);
    const rb = await s3.readBack(key);
    expect(rb.claimed).toBe(rb.sha256);
    const entry = await waitFor(
      async () =>
        (await gw.app.store.audit.bySubject(`checkpoint:${cp.treeSize}`)).find((e) => e.type === 'archive'),
      'checkpoint audit',
      30_000,
      50,
    );
    const seg = (entry.details.segment as { key: string }).key;
    expect(seg).toMatch(/audit-0000000001-\d{10}\.jsonl$/);
    expect((await s3.readBack(seg)).bytes).toBeGreaterThan(0);
  });

  it('catches a flipped byte in the archive on read-back and raises a critical alert', async () => {
    const body = await ingest(gw, 'C-3');
    const copy = await archived(gw, 'C-3');
    const flipped = Buffer.from(body);
    flipped[100] = (flipped[100] ?? 0) ^ 0x01;
    // Whoever holds write credentials can add a version (never alter the locked one).
    await s3.client.send(
      new PutObjectCommand({
        Bucket: 'originals',
        Key: copy.key,
        Body: flipped,
        Metadata: { sha256: copy.sha256 },
      }),
    );
    const report = await gw.app.archive.audit('tester');
    expect(report.bad.map((b) => b.subject)).toEqual(['clip:C-3']);
    expect(report.bad[0]!.problem).toMatch(/^current version hashes/);
    const alerts = await gw.app.alerts.list({ active: true, rule: 'archive-mismatch' });
    expect(alerts.map((a) => a.subject)).toContain('clip:C-3');

    // The scheduled pass: 1 MB a pass from where the last stopped finds it too, in turn.
    const archivedCount = report.checked;
    let found = false;
    for (let pass = 0; pass < archivedCount && !found; pass++) {
      const r = await gw.app.archive.readBackPass('tester');
      expect(r.checked).toBeGreaterThan(0);
      expect(r.bytes).toBeLessThan(1_000_000 + (1 << 20) * 2); // the budget, plus the copy that crossed it
      found = r.bad.some((b) => b.subject === 'clip:C-3');
    }
    expect(found).toBe(true);
  });

  it('queues while the archive is down and catches up when it is back', async () => {
    await ceph.stopRgw();
    try {
      await ingest(gw, 'D-1');
      await waitFor(async () => (await gw.app.archive.status()).lastError, 'a failed attempt', 30_000, 50);
      expect((await gw.app.archive.status()).depth).toBeGreaterThan(0);
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics).toMatch(/^gateway_archive_queue_depth [1-9]/m);
      expect(metrics).toMatch(/^gateway_archive_queue_age_seconds /m);
      expect(await gw.app.archive.copyOf('D-1')).toBeUndefined();
    } finally {
      await ceph.startRgw();
    }
    const copy = await waitFor(() => gw.app.archive.copyOf('D-1'), 'D-1 archived', 60_000, 100);
    expect((await s3.readBack(copy.key, copy.versionId)).sha256).toBe(copy.sha256);
    await waitFor(async () => (await gw.app.archive.status()).depth === 0, 'queue drained', 30_000, 50);
  });

  it('resumes after the gateway is killed mid-upload', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'archive-crash-'));
    const { path, body } = await clipFile('crash.mp4', 2 * 1024 * 1024);
    const configFile = join(dir, 'crash.json');
    const common = { dataDir, logLevel: 'silent', dock: { ports: [] } };
    await writeFile(
      configFile,
      JSON.stringify({
        ...common,
        mqtt: { port: 0, host: '127.0.0.1' },
        http: { port: 0, host: '127.0.0.1' },
        // 128 KiB/s: the 2 MiB upload takes ~16 s, so the kill lands in the middle of it.
        archive: archiveConfig({ bandwidthBytesPerSec: 128 * 1024 }),
      }),
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/archive/crash-child.ts', configFile, path],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    await waitFor(() => out.includes('ingested'), 'child ingested', 45_000, 50);
    const key = `office-7/originals/${sha(body)}`;
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(await s3.head(key)).toBeUndefined();

    const again = await startGateway({ dataDir, archive: archiveConfig() });
    try {
      const copy = await archived(again, 'CRASH-1');
      expect(copy.key).toBe(key);
      expect((await s3.readBack(key, copy.versionId)).sha256).toBe(sha(body));
    } finally {
      await again.stop();
    }
  });

  it('reports an archived clip upstream even when the office dies right after recording it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'archive-report-'));
    // No broker answers here: the report waits in the outbox, which is what this test reads.
    const uplink = {
      url: 'mqtts://127.0.0.1:1',
      office: 'office-7',
      passwordFile: broker.passwordFile('office-7'),
      reconnectS: 60,
    };
    const first = await startGateway({ dataDir, archive: archiveConfig(), uplink });
    let died = false;
    try {
      first.app.archive.faultAfterRecord = (clipId) => {
        died = true;
        throw new Error(`${clipId}: the office died here`);
      };
      await ingest(first, 'REPORT-1');
      await waitFor(() => died, 'the fault ran', 45_000, 50);
    } finally {
      await first.stop();
    }
    const again = await startGateway({ dataDir, archive: archiveConfig(), uplink });
    try {
      const copy = await archived(again, 'REPORT-1');
      const queued = await again.app.uplink.outbox.after(0, 1000);
      const reports = queued.filter(
        (m) => m.kind === 'event' && m.body.type === 'clip.archived' && m.body.subject === 'REPORT-1',
      );
      expect(reports).toHaveLength(1);
      expect(reports[0]?.kind === 'event' && reports[0].body.details.versionId).toBe(copy.versionId);
    } finally {
      await again.stop();
    }
  });

  // ---- local eviction ----------------------------------------------------------------------------

  /** Bytes under blobs/ (originals and sidecars): what the simulated disk holds. */
  async function blobBytes(g: TestGateway): Promise<number> {
    let total = 0;
    for (const e of await readdir(g.app.store.layout.blobsDir, { recursive: true, withFileTypes: true }))
      if (e.isFile()) total += (await stat(join(e.parentPath, e.name))).size;
    return total;
  }

  /** A disk with `free` bytes above the reserve left now, that fills and empties with blobs/. */
  async function fillDisk(g: TestGateway, free: number): Promise<void> {
    const quota = (await blobBytes(g)) + g.app.store.disk.reserveBytes + free;
    g.app.store.disk.setFreeBytesSource(async () => quota - (await blobBytes(g)));
  }

  const blobExists = (g: TestGateway, sha256: string) =>
    stat(g.app.store.layout.blobPath('blobs', sha256)).then(
      () => true,
      () => false,
    );

  it('evicts only originals whose archived version verifies under a lock outliving retention; they still play', async () => {
    const DAY0 = Date.parse('2020-01-01T08:00:00Z');
    const SIZE = 256 * 1024;
    // The oldest recording is on legal hold (R23: never moved).
    await ingest(gw, 'EV-HELD', SIZE, undefined, DAY0);
    await archived(gw, 'EV-HELD');
    const at = new Date().toISOString();
    await gw.app.store.placeLegalHold('EV-HELD', { exportId: 'X-EV', caseNo: 'K-EV', at, by: 'principal' });
    // The next one's record names a version locked until tomorrow, not for the clip's 6 months.
    const shortBody = await ingest(gw, 'EV-SHORT', SIZE, undefined, DAY0 + DAY);
    const short = await archived(gw, 'EV-SHORT');
    const shortRef = await s3.put({
      key: 'office-7/short-lock',
      body: shortBody,
      bytes: shortBody.length,
      sha256: sha(shortBody),
      retainUntil: new Date(Date.now() + DAY),
      legalHold: false,
    });
    const done = gw.app.db.sublevel<string, unknown>('archive-done', { valueEncoding: 'json' });
    await done.put('clip!EV-SHORT', { ...short, key: shortRef.key, versionId: shortRef.versionId });
    // Then one that qualifies.
    const okBody = await ingest(gw, 'EV-OK', SIZE, undefined, DAY0 + 2 * DAY);
    const ok = await archived(gw, 'EV-OK');

    try {
      await fillDisk(gw, SIZE / 2);
      await ingest(gw, 'EV-NEW', SIZE); // needs SIZE: half of it must be reclaimed
    } finally {
      gw.app.store.disk.setFreeBytesSource(undefined);
    }
    const evictedRec = await gw.app.store.index.get('EV-OK');
    expect(evictedRec?.evicted).toMatchObject({
      bucket: 'originals',
      key: ok.key,
      versionId: ok.versionId,
    });
    expect(await blobExists(gw, sha(okBody))).toBe(false);
    for (const id of ['EV-HELD', 'EV-SHORT']) {
      const r = await gw.app.store.index.get(id);
      expect(r?.evicted, id).toBeUndefined();
      expect(await blobExists(gw, r!.sha256), id).toBe(true);
    }
    const evicted = (await gw.app.store.audit.bySubject('clip:EV-OK')).find(
      (e) => e.type === 'archive' && e.details.action === 'evicted',
    );
    expect(evicted?.details).toMatchObject({ versionId: ok.versionId, sha256: sha(okBody) });

    // Still viewable and downloadable: the archived version, hashed as it streams.
    const sup = await gw.as('principal');
    const view = await sup.get('/api/clips/EV-OK');
    expect(view.body.archive).toMatchObject({
      key: ok.key,
      versionId: ok.versionId,
      evictedAt: evictedRec!.evicted!.at,
    });
    const url = `${gw.url}/api/clips/EV-OK/content?reason=${encodeURIComponent('复核')}`;
    const auth = { authorization: `Bearer ${sup.token}` };
    const whole = await fetch(`${url}&action=download`, { headers: auth });
    expect(whole.status).toBe(200);
    expect(whole.headers.get('x-content-sha256')).toBe(sha(okBody));
    expect(sha(Buffer.from(await whole.arrayBuffer()))).toBe(sha(okBody));
    const part = await fetch(url, { headers: { ...auth, range: 'bytes=1000-1999' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(okBody.subarray(1000, 2000));
    const access = (await gw.app.store.audit.bySubject('clip:EV-OK')).filter((e) => e.type === 'clip-access');
    expect(access.at(-1)?.details).toMatchObject({ area: 'archive', versionId: ok.versionId });
    // The store's sweep does not report an evicted original as missing (R25 alerts stay true).
    const report = await gw.app.store.verify();
    expect(report.blobs.missing.map((m) => m.clipId)).not.toContain('EV-OK');
    // A rebuilt index knows where the bytes went (from the eviction's audit entry).
    const rebuilt = await gw.app.store.reindex({ actor: 'tester' });
    expect(rebuilt.sidecarsWithoutBlob).toEqual([]);
    expect((await gw.app.store.index.get('EV-OK'))?.evicted).toEqual(evictedRec!.evicted);
    // Brought back for an evidence disc: the archived version, hashed, linked back in.
    expect((await gw.app.store.restore('EV-OK')).evicted).toBeUndefined();
    expect(await blobExists(gw, sha(okBody))).toBe(true);
  });

  it('refuses ingest with an alarm when the disk is full and nothing can be evicted, deleting nothing', async () => {
    await ceph.stopRgw(); // no archived copy can be verified now
    try {
      const before = await blobBytes(gw);
      await fillDisk(gw, 0);
      await expect(ingest(gw, 'EV-REFUSED')).rejects.toMatchObject({ code: 'DISK_RESERVE' });
      expect(await blobBytes(gw)).toBe(before);
      expect(await gw.app.store.index.get('EV-REFUSED')).toBeUndefined();
      const alerts = await gw.app.alerts.list({ active: true, rule: NOTHING_EVICTABLE_RULE });
      expect(alerts.map((a) => a.severity)).toEqual(['critical']);
      expect(alerts[0]!.message).toMatch(/copy-unverified/);
    } finally {
      gw.app.store.disk.setFreeBytesSource(undefined);
      await ceph.startRgw();
    }
  });
});
