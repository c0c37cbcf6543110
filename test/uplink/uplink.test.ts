/**
 * The upstream bridge against Debian's mosquitto as the province broker (TLS, password file, an ACL
 * per office namespace) and `gateway central` as the subscriber and checkpoint witness: delivery in
 * order and once across a link loss and a restart, the ACL's confinement, forged payloads, a fork.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CentralApp } from '../../gateway/central/app.js';
import { parseCentralConfig } from '../../gateway/central/config.js';
import { FORK_RULE } from '../../gateway/central/ledger.js';
import type { HeldState } from '../../gateway/central/witness.js';
import { signCheckpoint } from '../../gateway/custody/checkpoint.js';
import { SigningKey } from '../../gateway/custody/signing-key.js';
import { createLogger } from '../../gateway/log.js';
import type { UpstreamMessage } from '../../gateway/uplink/messages.js';
import { upstreamTopic } from '../../protocol/upstream/topics.js';
import { launchChromium, loginFast, newPage, screenshot } from '../dashboard/browser.js';
import { ensureDashboardBuilt } from '../dashboard/build.js';
import { apiClient, startGateway, type TestGateway } from '../helpers/gateway.js';
import { connectAs, startBroker, type TestBroker } from '../helpers/mosquitto.js';
import { waitFor } from '../helpers/wait.js';

const A = 'officeA';
const B = 'officeB';
let broker: TestBroker;
let central: CentralApp;
let centralDir: string;
let officeDir: string;
let gw: TestGateway;

const officeConfig = () => ({
  dataDir: officeDir,
  custody: { gatewayId: A },
  uplink: {
    url: broker.relayUrl,
    office: A,
    passwordFile: broker.passwordFile(A),
    caFile: broker.caFile,
    healthEveryS: 3600,
    reconnectS: 0.2,
    inflight: 4,
  },
});

beforeAll(async () => {
  // Before central starts: it serves the dashboard's files as they are at start.
  await ensureDashboardBuilt();
  broker = await startBroker(['central', A, B]);
  centralDir = await mkdtemp(join(tmpdir(), 'central-'));
  officeDir = await mkdtemp(join(tmpdir(), 'office-a-'));
  central = new CentralApp({
    config: parseCentralConfig({
      dataDir: centralDir,
      http: { host: '127.0.0.1', port: 0 },
      broker: {
        url: broker.url,
        passwordFile: broker.passwordFile('central'),
        caFile: broker.caFile,
        reconnectS: 0.5,
      },
    }),
    log: createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
  });
  await central.start();
  await central.link.ready();
  gw = await startGateway(officeConfig());
  await waitFor(() => gw.app.uplink.connected, 'office A connected upstream');
}, 180_000);

afterAll(async () => {
  await gw?.stop();
  await central?.stop();
  await broker?.stop();
  await rm(centralDir, { recursive: true, force: true });
  await rm(officeDir, { recursive: true, force: true });
});

const viewA = () => central.ledger.get(A);

/** One gauge of the office's /metrics (Prometheus text), scraped now. */
async function gauge(name: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`${name} not in /metrics`);
  return Number(line.slice(name.length + 1));
}
const alertSubjects = () => (viewA()?.alerts ?? []).map((a) => a.subject).reverse();

async function raise(subjects: string[]): Promise<void> {
  for (const subject of subjects) {
    await gw.app.alerts.raise({ rule: 'test-rule', subject, severity: 'warning', message: `m ${subject}` });
  }
}

describe('upstream bridge to the province broker', () => {
  it('forwards alerts, health and checkpoints; central witnesses each checkpoint as consistent', async () => {
    await gw.app.uplink.queueHealth();
    await waitFor(() => viewA()?.health, 'health snapshot at central');
    const cp1 = await gw.app.custody.issueCheckpoint('test', 'test');
    await waitFor(() => viewA()?.custody?.treeSize === cp1.treeSize, 'first checkpoint held');
    expect(viewA()?.custody?.status).toBe('first');
    await raise(['warm-up']);
    const cp2 = await gw.app.custody.issueCheckpoint('test', 'test');
    expect(cp2.treeSize).toBeGreaterThan(cp1.treeSize);
    await waitFor(() => viewA()?.custody?.treeSize === cp2.treeSize, 'second checkpoint held');
    expect(viewA()?.custody).toMatchObject({ status: 'consistent', rootHash: cp2.rootHash });
    expect(viewA()?.online).toBe(true);
    // The link's state on the office's /metrics: up, nothing waiting, the last checkpoint acknowledged.
    // The broker may hand the checkpoint to central before its PUBACK reaches the office.
    await waitFor(
      async () =>
        (await gauge('gateway_uplink_outbox_depth')) === 0 &&
        (await gauge('gateway_uplink_checkpoint_sent_tree_size')) === cp2.treeSize,
      'the office holds the checkpoint acknowledged and nothing waiting',
    );
    expect(await gauge('gateway_uplink_up')).toBe(1);
    expect(await gauge('gateway_uplink_checkpoint_sent_age_seconds')).toBeLessThan(600);
    // The province's read-only view over HTTP, for the provincial role only.
    const url = `http://127.0.0.1:${central.httpPort}`;
    await central.users.add({
      username: 'prov',
      displayName: '省局',
      roles: ['provincial'],
      password: 'pw-prov-1234',
    });
    await central.users.add({
      username: 'clerk',
      displayName: '科员',
      roles: ['officer'],
      password: 'pw-clerk-1234',
    });
    const prov = await apiClient(url, 'prov', 'pw-prov-1234');
    const list = await prov.get('/api/central/offices');
    expect(list.status).toBe(200);
    expect(list.body.offices.find((o: { office: string }) => o.office === A)).toMatchObject({
      online: true,
      custody: { status: 'consistent', treeSize: cp2.treeSize },
      upstream: { missing: 0 },
    });
    expect((await prov.get(`/api/central/offices/${A}`)).body.held.rootHash).toBe(cp2.rootHash);
    expect((await (await apiClient(url, 'clerk', 'pw-clerk-1234')).get('/api/central/offices')).status).toBe(
      403,
    );
  });

  it('queues while the link is down, survives a restart, then delivers in order, once', async () => {
    await broker.cut();
    await waitFor(() => !gw.app.uplink.connected, 'link down');
    const before = viewA()!.counts.alertsRaised;
    const first = Array.from({ length: 12 }, (_, i) => `down-${String(i).padStart(2, '0')}`);
    await raise(first);
    await waitFor(() => gw.app.uplink.outbox.depth >= first.length, 'alerts queued');
    // The office box restarts while its uplink is down: the outbox is on disk.
    await gw.stop();
    gw = await startGateway(officeConfig());
    const second = Array.from({ length: 12 }, (_, i) => `after-restart-${String(i).padStart(2, '0')}`);
    await raise(second);
    await waitFor(() => gw.app.uplink.outbox.depth >= first.length + second.length, 'more queued');
    expect(viewA()!.counts.alertsRaised).toBe(before);
    expect(await gauge('gateway_uplink_up')).toBe(0);
    expect(await gauge('gateway_uplink_outbox_depth')).toBeGreaterThanOrEqual(first.length + second.length);
    // The oldest waited since before the restart.
    expect(await gauge('gateway_uplink_outbox_age_seconds')).toBeGreaterThan(0);
    await broker.mend();
    await waitFor(() => gw.app.uplink.outbox.depth === 0, 'outbox drained', 30_000);
    expect(await gauge('gateway_uplink_up')).toBe(1);
    expect(await gauge('gateway_uplink_outbox_depth')).toBe(0);
    await waitFor(() => viewA()!.counts.alertsRaised === before + 24, 'every alert at central');
    const got = alertSubjects().filter((s) => s.startsWith('down-') || s.startsWith('after-restart-'));
    expect(got).toEqual([...first, ...second]);
    expect(viewA()!.sequence).toMatchObject({ missing: 0, epochs: 1 });
  });

  it('drops a replayed message by its seq', async () => {
    const client = await connectAs(broker, A, 'replayer');
    try {
      const seq = viewA()!.sequence!;
      const replay: UpstreamMessage = {
        v: 1,
        office: A,
        epoch: seq.epoch,
        seq: seq.lastSeq,
        at: new Date().toISOString(),
        kind: 'alert',
        body: { action: 'raised', rule: 'test-rule', subject: 'replayed', severity: 'warning', message: 'x' },
      };
      const dups = central.ledger.duplicates;
      await client.publishAsync(upstreamTopic(A, 'alert'), JSON.stringify(replay), { qos: 1 });
      await waitFor(() => central.ledger.duplicates === dups + 1, 'replay seen as a duplicate');
      expect(alertSubjects()).not.toContain('replayed');
    } finally {
      await client.endAsync(true);
    }
  });

  it('after a failed write, rolls back, reconnects and takes the re-delivered messages exactly once', async () => {
    const before = viewA()?.counts.alertsRaised ?? 0;
    const db = central.db;
    const batch = db.batch.bind(db);
    let failed = 0;
    // The store's write fails once: the synced batch holding the witness's new checkpoint.
    db.batch = ((ops: { sublevel?: { prefix?: string } }[], ...rest: unknown[]) => {
      if (
        failed === 0 &&
        Array.isArray(ops) &&
        ops.some((o) => o.sublevel?.prefix?.includes('central-held'))
      ) {
        failed++;
        return Promise.reject(new Error('injected: disk full'));
      }
      return (batch as (...a: unknown[]) => Promise<void>)(ops, ...rest);
    }) as unknown as typeof db.batch;
    try {
      const subjects = Array.from({ length: 6 }, (_, i) => `retry-${i}`);
      await raise(subjects);
      // A checkpoint among them: the witness's held checkpoint is durable state, not a view.
      const cp = await gw.app.custody.issueCheckpoint('test', 'test');
      await waitFor(() => failed === 1, 'a batch failed');
      await waitFor(() => gw.app.uplink.outbox.depth === 0, 'every message acknowledged', 30_000);
      await waitFor(() => viewA()!.counts.alertsRaised === before + subjects.length, 'alerts at central');
      expect(alertSubjects().filter((s) => s.startsWith('retry-'))).toEqual(subjects);
      // What is durable caught up with the office, with nothing missing or taken twice.
      const stored = (name: string) => db.sublevel<string, unknown>(name, { valueEncoding: 'json' }).get(A);
      await waitFor(
        async () =>
          ((await stored('central-held')) as HeldState | undefined)?.checkpoint.treeSize === cp.treeSize,
        'the checkpoint durable at central',
        30_000,
      );
      expect(await stored('central-held')).toMatchObject({ checkpoint: { rootHash: cp.rootHash } });
      await waitFor(() => central.link.subscribed, 'central reconnected');
      expect(await stored('central-seq')).toMatchObject({
        lastSeq: gw.app.uplink.outbox.lastSeq,
        missing: 0,
      });
      expect(viewA()!.sequence).toMatchObject({ lastSeq: gw.app.uplink.outbox.lastSeq, missing: 0 });
      expect(viewA()!.counts.alertsRaised).toBe(before + subjects.length);
    } finally {
      db.batch = batch;
    }
  });

  it("confines an office to its namespace: A cannot publish as B, nor claim B's name in a payload", async () => {
    const ca = await import('node:fs/promises').then((f) => f.readFile(broker.caFile));
    await expect(
      mqtt.connectAsync(broker.url, {
        protocolVersion: 4,
        username: A,
        password: 'wrong',
        ca,
        reconnectPeriod: 0,
      }),
    ).rejects.toMatchObject({ code: 5 });
    const login = { username: A, password: broker.password(A), ca, reconnectPeriod: 0 };
    const forged = (office: string): UpstreamMessage => ({
      v: 1,
      office,
      epoch: '0123456789abcdef',
      seq: 1,
      at: new Date().toISOString(),
      kind: 'alert',
      body: { action: 'raised', rule: 'forged', subject: 'forged', severity: 'critical', message: 'x' },
    });
    // MQTT 5, so the broker's refusal comes back as a reason code. (mosquitto 2.0.11 sends that
    // code to a 3.1.1 client too, which breaks the client's stream; after a refusal mqtt.js drops
    // the connection either way, so the rest goes over a second one.)
    const denied = await mqtt.connectAsync(broker.url, {
      ...login,
      protocolVersion: 5,
      clientId: 'intruder',
    });
    try {
      await expect(
        denied.publishAsync(upstreamTopic(B, 'alert'), JSON.stringify(forged(B)), { qos: 1 }),
      ).rejects.toMatchObject({ code: 135 });
    } finally {
      await denied.endAsync(true);
    }
    const client = await mqtt.connectAsync(broker.url, { ...login, protocolVersion: 4, clientId: 'liar' });
    try {
      const rejected = central.link.rejected;
      await client.publishAsync(upstreamTopic(A, 'alert'), JSON.stringify(forged(B)), { qos: 1 });
      // A sentinel on A's own status topic: central sees it after whatever came before it.
      const sent = Date.now();
      await client.publishAsync(
        upstreamTopic(A, 'status'),
        JSON.stringify({ v: 1, online: true, at: new Date().toISOString() }),
        {
          qos: 1,
        },
      );
      await waitFor(() => central.link.rejected === rejected + 1, 'the payload naming B on A topic refused');
      await waitFor(() => Date.parse(viewA()?.statusAt ?? '') >= sent, 'the sentinel');
      expect(central.ledger.get(B)).toBeUndefined();
      expect(central.link.lastReject).toMatch(/payload says officeB/);
    } finally {
      await client.endAsync(true);
    }
  });

  it('alerts on a fork: a checkpoint signed by the office that does not extend the held one', async () => {
    const held = central.ledger.held(A)!.checkpoint;
    const key = (await SigningKey.load(gw.app.custody.keyFile))!;
    const rewritten = signCheckpoint(
      { origin: A, treeSize: held.treeSize + 3, rootHash: 'ab'.repeat(32), at: new Date().toISOString() },
      key,
    );
    // The office's own bridge carries it (an office whose history was rewritten still has its key).
    await gw.app.uplink.outbox.add({
      kind: 'checkpoint',
      body: {
        checkpoint: rewritten,
        key: key.public.toJson(),
        fromTreeSize: held.treeSize,
        consistency: ['cd'.repeat(32)],
      },
    });
    await gw.app.uplink.queueHealth();
    const alert = await waitFor(
      async () => (await central.alerts.list({ active: true, rule: FORK_RULE })).find((a) => a.subject === A),
      'fork alert at central',
    );
    expect(alert).toMatchObject({ severity: 'critical', notify: ['principal', 'legal-affairs'] });
    expect(viewA()?.custody).toMatchObject({
      status: 'fork',
      treeSize: held.treeSize,
      rootHash: held.rootHash,
    });
    expect(central.ledger.held(A)!.checkpoint).toEqual(held);
  });

  it('writes the messages of one loop turn in one synced batch, in order', async () => {
    const client = await connectAs(broker, B, 'burst');
    const N = 300;
    try {
      const batches = central.ledger.batches;
      const taken = central.ledger.messages;
      const burst = Array.from(
        { length: N },
        (_, i): UpstreamMessage => ({
          v: 1,
          office: B,
          epoch: 'b0b0b0b0b0b0b0b0',
          seq: i + 1,
          at: new Date().toISOString(),
          kind: 'alert',
          body: { action: 'raised', rule: 'burst', subject: `b-${i}`, severity: 'info', message: 'x' },
        }),
      );
      await Promise.all(
        burst.map((m) => client.publishAsync(upstreamTopic(B, 'alert'), JSON.stringify(m), { qos: 1 })),
      );
      await waitFor(() => central.ledger.messages - taken === N, 'the burst at central');
      expect(central.ledger.get(B)?.sequence).toMatchObject({ lastSeq: N, missing: 0, duplicates: 0 });
      // One fsync per message kept central at 574 msg/s with 100 offices (bench/README.md).
      expect(central.ledger.batches - batches).toBeLessThan(N / 4);
      // An archived original B reports: listed at central (this central has no archive to read it from).
      const sha256 = 'ab'.repeat(32);
      const archivedMsg: UpstreamMessage = {
        ...burst[0]!,
        seq: N + 1,
        kind: 'event',
        body: {
          type: 'clip.archived',
          subject: 'B-CLIP-1',
          details: {
            bucket: 'originals',
            key: `${B}/originals/${sha256}`,
            versionId: 'v1',
            sha256,
            bytes: 1234,
            retainUntil: '2027-06-01T00:00:00.000Z',
            legalHold: true,
            sourceKind: 'recorder',
            sourceId: 'R-9',
            start: '2026-12-07T01:00:00.000Z',
          },
        },
      };
      await client.publishAsync(upstreamTopic(B, 'event'), JSON.stringify(archivedMsg), { qos: 1 });
      await waitFor(() => central.ledger.original(B, 'B-CLIP-1'), 'the archived original listed');
    } finally {
      await client.endAsync(true);
    }
  });

  it("shows the province's overview to the provincial role, the fork in red (zh)", async () => {
    const browser = await launchChromium();
    try {
      const { page } = await newPage(browser, `http://127.0.0.1:${central.httpPort}`);
      await loginFast(page, 'prov', 'pw-prov-1234', '/province');
      await page.getByTestId(`office-${A}`).waitFor();
      await expect.poll(() => page.getByTestId(`custody-${A}`).textContent()).toBe('历史被改写');
      await page.getByTestId('province-forks').waitFor();
      // An office's archived originals, listed in its detail; without an archive, not opened.
      await page.getByTestId(`office-${B}`).locator('.ant-table-row-expand-icon').click();
      const row = page.getByTestId('original-B-CLIP-1');
      await row.waitFor();
      expect(await row.textContent()).toContain('R-9');
      expect(await row.getByText('法律保全').count()).toBe(1);
      expect(await page.getByTestId('original-play-B-CLIP-1').count()).toBe(0);
      expect(await page.getByTestId('nav-province').textContent()).toBe('全省概览');
      await screenshot(page, 'province');
    } finally {
      await browser.close();
    }
  }, 180_000);
});
