/**
 * Equipment manager: live alerts, and the fleet fed by simulated recorders over MQTT (R21).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCameras } from '../../device-sim/camera/index.js';
import { type FleetHandle, startFleet } from '../../device-sim/scenario/fleet.js';
import { DESKTOP, login, loginFast, newPage, screenshot, waitLive } from './browser.js';
import { expectTidyLayout } from './layout.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

describe('equipment manager pages', () => {
  let rig: DashRig;
  beforeAll(async () => {
    // The simulated recorders run firmware 1.4.2: current here, so "problems only" is about the battery.
    rig = await startDashRig({
      fleet: { firmwareMin: '1.0.0' },
      cameras: {
        rooms: [{ id: 'R1', name: '第一听证室' }],
        discoveryInterface: '127.0.0.1',
        discoveryTimeoutMs: 1500,
        healthPollS: 600,
      },
    });
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

  it('cameras page: discover, add, room, snapshot, clock, 认证失败 and the password again, delete; no password shown', async () => {
    const CAM_PW = 'Cam-page-pw-7';
    const WRONG_PW = 'Wrong-page-pw-3';
    const cams = await startCameras(1, { firstOctet: 191, common: { user: 'admin', password: CAM_PW } });
    const cam = cams.cameras[0]!;
    const { context, page } = await newPage(rig.browser, rig.gw.url, DESKTOP);
    const seen: string[] = [];
    page.on('request', (r) => seen.push(r.url()));
    page.on('response', async (r) => {
      if (!r.url().includes('/api/') || r.url().includes('/snapshot')) return;
      seen.push(await r.text().catch(() => ''));
    });
    try {
      await loginFast(page, rig.users['equipment-manager'], PASSWORD, '/cameras');
      await page.getByTestId('camera-discover').click();
      await page.getByTestId(`discovered-add-${cam.address}`).click({ timeout: 20_000 });
      await page.getByTestId('camera-add-password').fill(CAM_PW);
      await page.getByTestId('camera-add-ok').click();
      await expect.poll(() => rig.gw.app.cameras.list().find((c) => c.xaddr === cam.xaddr)?.id).toBeTruthy();
      const id = rig.gw.app.cameras.list().find((c) => c.xaddr === cam.xaddr)!.id;
      const state = page.getByTestId(`camera-state-${id}`);
      await textOf(state).toBe('在线');
      await textOf(page.getByTestId(`camera-row-${id}`)).toContain(cam.identity.name);

      await page.getByTestId(`camera-room-${id}`).click();
      await page.locator('.ant-select-item-option[title="第一听证室"]').click();
      await expect.poll(() => rig.gw.app.cameras.view(id).roomId).toBe('R1');

      await page.getByTestId(`camera-snap-${id}`).click();
      await expect
        .poll(() => page.getByTestId(`camera-thumb-${id}`).evaluate((i: HTMLImageElement) => i.naturalWidth))
        .toBeGreaterThan(0);

      cam.state.clock.offsetMs = 90_000;
      await page.getByTestId(`camera-health-${id}`).click();
      await textOf(page.getByTestId(`camera-offset-${id}`)).toMatch(/^\+(8[5-9]|9\d) 秒$/);
      await page.getByTestId(`camera-sync-${id}`).click();
      await textOf(page.getByTestId(`camera-offset-${id}`)).toMatch(/^[+-]?[01]\.\d 秒$/);

      // The camera's stream refuses the gateway (its password changed on the camera): what the
      // recording and pre-roll report to the registry when RTSP answers 401.
      cam.faults.denyRtsp(401);
      rig.gw.app.cameras.noteStreamAuth(id, false);
      await page.getByTestId(`camera-health-${id}`).click();
      await textOf(state).toBe('认证失败');
      await textOf(page.getByTestId(`camera-cause-${id}`)).toContain('视频流拒绝');
      await screenshot(page, 'manager-cameras-auth-failed');
      // A wrong password is refused by the camera and stored nowhere; the page says so.
      await page.getByTestId(`camera-password-${id}`).click();
      await page.getByTestId('camera-password-input').fill(WRONG_PW);
      await page.getByTestId('camera-password-ok').click();
      await textOf(page.locator('.ant-message')).toContain('认证失败');
      await textOf(state).toBe('认证失败');
      // The right one again: checked against the camera, saved, the camera back online.
      cam.faults.resume();
      await page.getByTestId('camera-password-input').fill(CAM_PW);
      await page.getByTestId('camera-password-ok').click();
      await textOf(state).toBe('在线');
      // Fixed column widths hold at 1366 and 1024 px (the menu folded), in zh and in en.
      await page
        .getByTestId(`camera-snap-${id}`)
        .or(page.getByTestId(`camera-thumb-${id}`))
        .waitFor();
      await expectTidyLayout(page, 'cameras-zh-1366');
      await page.setViewportSize({ width: 1024, height: 768 });
      await expect.poll(() => page.getByTestId('sider').getAttribute('data-collapsed')).toBe('true');
      await expectTidyLayout(page, 'cameras-zh-1024');
      await page.getByTestId('lang-switch').click();
      await textOf(state).toBe('Online');
      await expectTidyLayout(page, 'cameras-en-1024');
      await page.getByTestId('lang-switch').click();
      await textOf(state).toBe('在线');

      const record = rig.gw.app.cameras.get(id)!;
      await page.getByTestId(`camera-delete-${id}`).click();
      await page.getByTestId('camera-delete-ok').click();
      await page.getByTestId(`camera-row-${id}`).waitFor({ state: 'detached' });
      expect(rig.gw.app.cameras.list().some((c) => c.id === id)).toBe(false);

      // Rebuilt from the audit log (`gateway reindex`), the camera comes back without its password:
      // the page asks for it again, and the camera is tried only once it is given.
      expect(await rig.gw.app.cameras.restore(record)).toBe(true);
      await page.reload();
      await textOf(state).toBe('需要重新输入密码');
      await page.getByTestId(`camera-password-${id}`).click();
      await page.getByTestId('camera-password-input').fill(CAM_PW);
      await page.getByTestId('camera-password-ok').click();
      await textOf(state).toBe('在线');
      await page.getByTestId(`camera-delete-${id}`).click();
      await page.getByTestId('camera-delete-ok').click();
      await page.getByTestId(`camera-row-${id}`).waitFor({ state: 'detached' });

      // Neither password in the page, any URL asked for, or any API response it read.
      const html = await page.content();
      for (const pw of [CAM_PW, WRONG_PW]) {
        expect(html).not.toContain(pw);
        expect(seen.filter((t) => t.includes(pw))).toEqual([]);
      }
      expect(seen.some((t) => t.includes(cam.xaddr))).toBe(true);
    } finally {
      await context.close();
      await cams.stop();
    }
  });
});
