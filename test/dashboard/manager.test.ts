/**
 * Equipment manager: live alerts, and the fleet fed by simulated recorders over MQTT (R21).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetHandle, startFleet } from '../../device-sim/scenario/fleet.js';
import { DESKTOP, login, loginFast, newPage, screenshot, waitLive } from './browser.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

describe('equipment manager pages', () => {
  let rig: DashRig;
  beforeAll(async () => {
    // The simulated recorders run firmware 1.4.2: current here, so "problems only" is about the battery.
    rig = await startDashRig({ fleet: { firmwareMin: '1.0.0' } });
  }, 120_000);
  afterAll(() => rig?.stop());

  it('pops a battery alert on the equipment manager page as it is raised, in Shanghai time', async () => {
    const { context, page } = await newPage(rig.browser, rig.gw.url, DESKTOP);
    try {
      await login(page, rig.users['equipment-manager'], PASSWORD);
      await waitLive(page);
      // The alert service is the path fleet health rules raise through (gateway/alerts/service.ts).
      const raised = await rig.gw.app.alerts.raise({
        rule: 'battery-low',
        subject: 'REC-0042',
        severity: 'warning',
        message: '电量 18%，按当前耗电约 40 分钟',
        notify: [],
      });
      const note = page.locator('[data-testid="alert-notification"][data-subject="REC-0042"]');
      await note.waitFor();
      await textOf(note).toContain('电量 18%');
      await textOf(page.locator('.ant-notification')).toContain('电量低 · REC-0042');
      // The browser runs in UTC; the dashboard shows Asia/Shanghai (UTC+8, no DST).
      const shanghai = new Date(Date.parse(raised.at) + 8 * 3_600_000)
        .toISOString()
        .replace('T', ' ')
        .slice(0, 19);
      await textOf(note).toContain(shanghai);
      await screenshot(page, 'manager-alert-notification');
      // The alerts page follows the live stream: raised adds a row, cleared removes it.
      await page.goto('/alerts');
      await page.locator('.ant-table').waitFor();
      await waitLive(page);
      await rig.gw.app.alerts.raise({
        rule: 'storage-low',
        subject: 'REC-0043',
        severity: 'critical',
        message: '剩余存储 3%',
        notify: [],
      });
      const row = page.locator('tr[data-testid="alert-row-storage-low"]');
      await textOf(row).toContain('REC-0043');
      await textOf(row).toContain('存储空间不足');
      await screenshot(page, 'manager-alerts');
      await rig.gw.app.alerts.clear('storage-low', 'REC-0043');
      await row.waitFor({ state: 'detached' });
    } finally {
      await context.close();
    }
  });

  it('simulated recorders over MQTT: fleet table, live battery alert, recorder page with chart and maintenance', async () => {
    // Two recorders registered the way an equipment manager does (credential issued, stored hashed).
    const creds: Record<string, string> = {};
    for (const serial of ['BC7001', 'BC7002']) {
      creds[serial] = (
        await rig.gw.app.field.registry.register({ serial, model: 'DSJ-V9' }, 'test')
      ).credential;
    }
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    let fleet: FleetHandle | undefined;
    try {
      await loginFast(page, rig.users['equipment-manager'], PASSWORD, '/fleet');
      await waitLive(page);
      fleet = await startFleet({
        brokerUrl: `mqtt://127.0.0.1:${rig.gw.app.mqttPort}`,
        recorders: [
          {
            serial: 'BC7001',
            password: creds.BC7001,
            profile: { battery: { initialPct: 18 }, telemetryIntervalS: 1 },
          },
          {
            serial: 'BC7002',
            password: creds.BC7002,
            profile: { battery: { initialPct: 90 }, telemetryIntervalS: 1 },
          },
        ],
        link: { reconnectMinMs: 50, reconnectMaxMs: 500 },
        maxClipBytes: 4096,
      });
      // The fleet rule raises battery-low from BC7001's telemetry; the manager sees it pop up live.
      const note = page.locator(
        '[data-testid="alert-notification"][data-rule="battery-low"][data-subject="BC7001"]',
      );
      // In the reader's language, from the alert's details (the gateway's message is for logs).
      await textOf(note).toContain('电量 18%');
      // The table fills in from /api/recorders, refetched on live health events, without a reload.
      await page.locator('[data-testid="battery-BC7002"]').waitFor();
      await page.locator('[data-testid="condition-BC7001-battery-low"]').waitFor();
      await textOf(page.getByTestId('fleet-count')).toContain('共 2 台');
      await screenshot(page, 'manager-fleet-live');
      // Filter: problems only leaves BC7001.
      await page.getByTestId('fleet-problems').click();
      await page.locator('[data-testid="battery-BC7002"]').waitFor({ state: 'detached' });
      await page.locator('[data-testid="battery-BC7001"]').waitFor();
      // Recorder page: chart of the history, a maintenance entry saved and listed.
      await page.getByTestId('recorder-link-BC7001').click();
      await page.waitForURL('**/recorders/BC7001');
      await textOf(page.getByTestId('recorder-title')).toContain('BC7001');
      await page.getByTestId('maintenance-note').fill('外壳检查，镜头清洁');
      await page.getByTestId('maintenance-add').click();
      await page.locator('td', { hasText: '外壳检查，镜头清洁' }).waitFor();
      const saved = await rig.gw.app.field.maintenance.list('BC7001');
      expect(saved.map((m) => m.text)).toContain('外壳检查，镜头清洁');
      await page.getByTestId('history-chart').locator('canvas').first().waitFor();
      await screenshot(page, 'manager-recorder');
    } finally {
      await fleet?.stop();
      await context.close();
    }
  });
});
