/**
 * R19: critical alerts reach people who are not looking at the dashboard — a generic webhook, the
 * 企业微信 and 钉钉 robot formats and e-mail — through a durable outbox with retries, each delivery
 * and failure audited. Real local endpoints: an HTTP server and aiosmtpd.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfigInput } from '../../gateway/config.js';
import type { AuditEntry } from '../../gateway/store/schema.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';
import { httpReceiver, smtpServer } from './receivers.js';

const fast = { maxAttempts: 4, baseS: 0.05, maxS: 0.2 };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'notify-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function notificationEntries(gw: TestGateway): Promise<AuditEntry[]> {
  return (await gw.app.store.audit.recent(500)).filter((e) => e.type === 'notification');
}

function raiseCannotContinue(gw: TestGateway, subject = 'int-1') {
  return gw.app.alerts.raise({
    rule: 'interruption-cannot-continue',
    subject,
    severity: 'critical',
    message: 'Recording on recorder DK0001 cannot continue (cause: battery) — R19',
    notify: ['principal', 'legal-affairs'],
    details: {
      interruptionId: subject,
      source: 'recorder',
      device: 'DK0001',
      cause: 'battery',
      officer: { name: '张三', certNo: '44010001' },
    },
  });
}

async function gatewayWith(notifications: GatewayConfigInput['notifications'], dataDir?: string) {
  return startGateway({ notifications, ...(dataDir ? { dataDir } : {}) });
}

describe('webhook formats', () => {
  it('generic webhook: JSON in Chinese with Beijing time, HMAC-signed; a 500 is retried with backoff and each try audited', async () => {
    const rx = await httpReceiver((n) =>
      n < 3 ? { status: 500, body: 'boom' } : { status: 200, body: '{}' },
    );
    const secretFile = join(dir, 'hook.secret');
    await writeFile(secretFile, 'hook-secret-value\n');
    const gw = await gatewayWith({
      retry: fast,
      channels: [{ kind: 'webhook', id: 'ops', roles: ['principal'], url: `${rx.url}/hook`, secretFile }],
    });
    try {
      const alert = await raiseCannotContinue(gw);
      await waitFor(() => rx.got.length >= 3, 'three tries');
      const last = rx.got[2];
      expect(last?.path).toBe('/hook');
      expect(last?.body).toMatchObject({ type: 'alert', id: alert.id, rule: 'interruption-cannot-continue' });
      expect(last?.body.title).toBe('【严重】执法记录无法继续');
      expect(last?.body.text).toContain('张三');
      expect(last?.body.text).toContain('电量耗尽');
      // Stored UTC, shown in Asia/Shanghai: +8 h.
      const bj = new Date(Date.parse(alert.at) + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
      expect(last?.body.text).toContain(`${bj}（北京时间）`);
      const sig = createHmac('sha256', 'hook-secret-value')
        .update(last?.raw ?? '')
        .digest('hex');
      expect(last?.headers['x-gateway-signature']).toBe(`sha256=${sig}`);
      const entries = await waitFor(async () => {
        const e = await notificationEntries(gw);
        return e.some((x) => x.details.outcome === 'delivered') && e;
      }, 'delivered entry');
      const outcomes = entries.map((e) => e.details.outcome).sort();
      expect(outcomes).toEqual(['delivered', 'failed', 'failed']);
      expect(entries.every((e) => e.subject === `alert:${alert.id}`)).toBe(true);
      const failed = entries.find((e) => e.details.outcome === 'failed');
      expect(failed?.details.error).toMatchObject({ code: 'http-500' });
      expect(JSON.stringify(entries)).not.toContain('hook-secret-value');
      expect(gw.app.notifications.pending).toBe(0);
    } finally {
      await gw.stop();
      await rx.close();
    }
  });

  it('企业微信 robot: markdown card; a non-zero errcode is a failure, retried until it gives up', async () => {
    const rx = await httpReceiver(() => ({
      status: 200,
      body: '{"errcode":93000,"errmsg":"invalid webhook url"}',
    }));
    const urlFile = join(dir, 'wecom.url');
    await writeFile(urlFile, `${rx.url}/cgi-bin/webhook/send?key=wecom-token-123\n`);
    const gw = await gatewayWith({
      retry: fast,
      channels: [{ kind: 'wecom', id: 'wecom', roles: ['legal-affairs'], urlFile }],
    });
    try {
      await raiseCannotContinue(gw);
      const entries = await waitFor(async () => {
        const e = await notificationEntries(gw);
        return e.some((x) => x.details.outcome === 'gave-up') && e;
      }, 'give-up');
      expect(rx.got).toHaveLength(fast.maxAttempts);
      expect(rx.got[0]?.query.get('key')).toBe('wecom-token-123');
      expect(rx.got[0]?.body.msgtype).toBe('markdown');
      expect(rx.got[0]?.body.markdown.content).toContain('### 【严重】执法记录无法继续');
      expect(entries.map((e) => e.details.outcome).sort()).toEqual(['failed', 'failed', 'failed', 'gave-up']);
      expect(entries[0]?.details.error).toMatchObject({ code: 'bot-errcode' });
      // The bot's token is in its URL: never in the log.
      expect(JSON.stringify(entries)).not.toContain('wecom-token-123');
      expect(gw.app.notifications.items()[0]?.state).toBe('failed');
    } finally {
      await gw.stop();
      await rx.close();
    }
  });

  it('钉钉 robot with 加签: timestamp and sign in the query, checked by the receiver', async () => {
    const secret = 'SECdingtalk-secret';
    const rx = await httpReceiver((_n, r) => {
      const ts = r.query.get('timestamp') ?? '';
      const want = createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64');
      return r.query.get('sign') === want && r.query.get('access_token') === 'dt-token'
        ? { status: 200, body: '{"errcode":0,"errmsg":"ok"}' }
        : { status: 200, body: '{"errcode":310000,"errmsg":"sign not match"}' };
    });
    const secretFile = join(dir, 'dingtalk.secret');
    await writeFile(secretFile, secret);
    const gw = await gatewayWith({
      retry: fast,
      channels: [
        {
          kind: 'dingtalk',
          id: 'dt',
          roles: ['principal'],
          url: `${rx.url}/robot/send?access_token=dt-token`,
          secretFile,
        },
      ],
    });
    try {
      await raiseCannotContinue(gw);
      const entries = await waitFor(async () => {
        const e = await notificationEntries(gw);
        return e.some((x) => x.details.outcome === 'delivered') && e;
      }, 'delivered');
      expect(entries).toHaveLength(1);
      expect(rx.got).toHaveLength(1);
      expect(rx.got[0]?.body).toMatchObject({
        msgtype: 'markdown',
        markdown: { title: '【严重】执法记录无法继续' },
      });
      expect(JSON.stringify(entries)).not.toContain(secret);
    } finally {
      await gw.stop();
      await rx.close();
    }
  });

  it('only alerts that qualify go out, and only to channels of their roles', async () => {
    const rx = await httpReceiver(() => ({ status: 200, body: '{}' }));
    const gw = await gatewayWith({
      retry: fast,
      channels: [
        { kind: 'webhook', id: 'principal', roles: ['principal'], url: `${rx.url}/p` },
        { kind: 'webhook', id: 'equip', roles: ['equipment-manager'], url: `${rx.url}/e` },
      ],
    });
    try {
      await gw.app.alerts.raise({
        rule: 'battery-low',
        subject: 'DK1',
        severity: 'warning',
        message: 'x',
        notify: ['principal'],
      });
      await gw.app.alerts.raise({
        rule: 'clip-overdue',
        subject: 'clip:1',
        severity: 'warning',
        message: 'x',
        notify: ['equipment-manager'],
        details: { clipId: 'c1' },
      });
      await raiseCannotContinue(gw);
      await waitFor(() => rx.got.length >= 2, 'two deliveries');
      await waitFor(() => gw.app.notifications.pending === 0, 'outbox drained');
      expect(rx.got.map((r) => `${r.path} ${r.body.rule}`).sort()).toEqual([
        '/e clip-overdue',
        '/p interruption-cannot-continue',
      ]);
    } finally {
      await gw.stop();
      await rx.close();
    }
  });
});

describe('durable outbox', () => {
  it('an alert raised before the channel could deliver is delivered after a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'notify-gw-'));
    const rx = await httpReceiver(() => ({ status: 503, body: 'down' }));
    try {
      // First life: the receiver is down and retries are slow; the gateway stops with the item pending.
      let gw = await gatewayWith(
        {
          retry: { maxAttempts: 8, baseS: 3600, maxS: 3600 },
          channels: [{ kind: 'webhook', id: 'w', roles: ['principal'], url: rx.url }],
        },
        dataDir,
      );
      const alert = await raiseCannotContinue(gw);
      await waitFor(async () => (await notificationEntries(gw)).length === 1, 'first failed try');
      expect(gw.app.notifications.pending).toBe(1);
      await gw.app.stop();
      // Second life: the receiver is back; pending items are tried at start, whatever their backoff said.
      const ok = await httpReceiver(() => ({ status: 200, body: '{}' }));
      try {
        gw = await gatewayWith(
          { retry: fast, channels: [{ kind: 'webhook', id: 'w', roles: ['principal'], url: ok.url }] },
          dataDir,
        );
        await waitFor(() => ok.got.length === 1, 'delivered after restart');
        expect(ok.got[0]?.body.id).toBe(alert.id);
        await waitFor(() => gw.app.notifications.pending === 0, 'outbox drained');
        const outcomes = (await notificationEntries(gw)).map((e) => e.details.outcome).sort();
        expect(outcomes).toEqual(['delivered', 'failed']);
        await gw.app.stop();
      } finally {
        await ok.close();
      }
    } finally {
      await rx.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('an alert whose outbox item was never written (a crash right after raising) is found and delivered at the next start', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'notify-gw-'));
    const rx = await httpReceiver(() => ({ status: 200, body: '{}' }));
    try {
      // No channel in the first life stands for the crash: the alert is stored, its item is not.
      let gw = await gatewayWith({ channels: [] }, dataDir);
      const alert = await raiseCannotContinue(gw);
      await gw.app.stop();
      gw = await gatewayWith(
        { retry: fast, channels: [{ kind: 'webhook', id: 'w', roles: ['principal'], url: rx.url }] },
        dataDir,
      );
      try {
        await waitFor(() => rx.got.length === 1, 'delivered after restart');
        expect(rx.got[0]?.body.id).toBe(alert.id);
        await waitFor(
          async () => (await notificationEntries(gw)).some((e) => e.details.outcome === 'delivered'),
          'audited',
        );
      } finally {
        await gw.app.stop();
      }
      // A third start sends nothing again: delivered items are remembered.
      gw = await gatewayWith(
        { retry: fast, channels: [{ kind: 'webhook', id: 'w', roles: ['principal'], url: rx.url }] },
        dataDir,
      );
      await gw.app.stop();
      expect(rx.got).toHaveLength(1);
    } finally {
      await rx.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('e-mail over SMTP', () => {
  it('reaches the configured recipients with a Chinese subject (aiosmtpd)', async () => {
    const smtp = await smtpServer();
    const gw = await gatewayWith({
      retry: fast,
      smtp: { host: '127.0.0.1', port: smtp.port, from: 'gateway@office.example' },
      channels: [
        {
          kind: 'email',
          id: 'boss',
          roles: ['principal'],
          to: ['boss@office.example', 'deputy@office.example'],
        },
      ],
    });
    try {
      const alert = await raiseCannotContinue(gw);
      const mails = await waitFor(() => smtp.mails().length > 0 && smtp.mails(), 'mail arrives', 30_000, 100);
      expect(mails).toHaveLength(1);
      expect(mails[0]?.from).toBe('gateway@office.example');
      expect(mails[0]?.to.sort()).toEqual(['boss@office.example', 'deputy@office.example']);
      expect(mails[0]?.subject).toBe('【严重】执法记录无法继续');
      const entry = await waitFor(
        async () => (await notificationEntries(gw)).find((e) => e.details.outcome === 'delivered'),
        'audited',
      );
      expect(entry.subject).toBe(`alert:${alert.id}`);
      expect(entry.details.to).toEqual(['boss@office.example', 'deputy@office.example']);
    } finally {
      await gw.stop();
      await smtp.stop();
    }
  });

  it('an unreachable SMTP server is a failed try, then delivered once it is up', async () => {
    const smtp = await smtpServer();
    const port = smtp.port;
    await smtp.stop();
    const gw = await gatewayWith({
      retry: { maxAttempts: 20, baseS: 0.2, maxS: 0.5 },
      smtp: { host: '127.0.0.1', port, from: 'gateway@office.example' },
      channels: [{ kind: 'email', id: 'boss', roles: ['principal'], to: ['boss@office.example'] }],
    });
    try {
      await raiseCannotContinue(gw);
      await waitFor(
        async () => (await notificationEntries(gw)).some((e) => e.details.outcome === 'failed'),
        'a failed try',
      );
      const again = await smtpServer(port);
      try {
        await waitFor(() => again.mails().length === 1, 'mail arrives after the server is back', 30_000, 100);
        await waitFor(
          async () => (await notificationEntries(gw)).some((e) => e.details.outcome === 'delivered'),
          'audited',
        );
        expect(gw.app.notifications.pending).toBe(0);
      } finally {
        await again.stop();
      }
    } finally {
      await gw.stop();
    }
  });
});
