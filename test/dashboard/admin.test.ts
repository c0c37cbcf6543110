/**
 * Running the office from the dashboard, in Chromium against the real gateway: legal affairs
 * administer accounts (R24) and everyone changes their own password; the equipment manager
 * registers recorders and rotates credentials, each shown once (R21); the audit log names people
 * by display name; an ended session returns to the login page saying so; a gateway that cannot be
 * reached reads 连接中断 and no dock card claims 可领用; the check-in the gateway asks for is a button.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorderWithClips } from '../../device-sim/recorder/dock-fixture.js';
import { loginFast, newPage, screenshot, TABLET, waitLive } from './browser.js';
import { expectTidyLayout } from './layout.js';
import { type DashRig, PASSWORD, startDashRig, textOf } from './rig.js';

/** expect.poll's own default (1 s) is too short on a loaded machine. */
const POLL = { timeout: 15_000 };

describe('dashboard administration', () => {
  let rig: DashRig;
  beforeAll(async () => {
    rig = await startDashRig();
  }, 120_000);
  afterAll(() => rig?.stop());

  it('legal affairs add, re-role, reset and disable an account; the audit log names people, not paths', async () => {
    const users = rig.gw.app.users;
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users['legal-affairs'], PASSWORD, '/users');
      await page.getByTestId(`user-row-${rig.users.officer}`).waitFor();
      await page.getByTestId('user-add').click();
      await page.getByTestId('user-form-username').fill('wang.fang');
      await page.getByTestId('user-form-name').fill('王芳');
      await page.getByTestId('password-new').fill('short');
      await page.getByTestId('password-again').fill('short');
      await page.getByTestId('user-form-ok').click();
      // The gateway's minimum is said before anything is sent.
      await textOf(page.locator('.ant-form-item-explain-error').first()).toContain('至少 8 位');
      await page.getByTestId('password-new').fill('wang-fang-pw-1');
      await page.getByTestId('password-again').fill('wang-fang-pw-1');
      await screenshot(page, 'users-add-zh-1366');
      await page.getByTestId('user-form-ok').click();
      await page.getByTestId('user-row-wang.fang').waitFor();
      expect(await users.get('wang.fang')).toMatchObject({ displayName: '王芳', roles: ['officer'] });

      // Roles: officer -> officer + hearing staff.
      await page.getByTestId('user-roles-wang.fang').click();
      await page.locator('.ant-modal').getByText('听证室工作人员').click();
      await page.getByTestId('user-form-ok').click();
      await expect
        .poll(async () => (await users.get('wang.fang'))?.roles, POLL)
        .toEqual(['officer', 'hearing-staff']);

      // The user changes their own password in another browser; the administrator then resets it,
      // which ends that user's session.
      const own = await newPage(rig.browser, rig.gw.url);
      try {
        await loginFast(own.page, 'wang.fang', 'wang-fang-pw-1');
        await own.page.getByTestId('own-password').click();
        await own.page.getByTestId('password-current').fill('wang-fang-pw-1');
        await own.page.getByTestId('password-new').fill('wang-fang-pw-2');
        await own.page.getByTestId('password-again').fill('wang-fang-pw-2');
        await own.page.getByTestId('own-password-ok').click();
        await textOf(own.page.locator('.ant-message')).toContain('密码已修改');
        expect((await users.login('wang.fang', 'wang-fang-pw-2')).user.username).toBe('wang.fang');

        await page.getByTestId('user-password-wang.fang').click();
        await page.getByTestId('password-new').fill('wang-fang-pw-3');
        await page.getByTestId('password-again').fill('wang-fang-pw-3');
        await page.getByTestId('user-form-ok').click();
        await textOf(page.locator('.ant-message')).toContain('已为 王芳 设置新密码');
        // Ended under the reader, who comes back to the tab: without touching anything they are on
        // the login page, told why, and the page they were on is gone (no stale figures).
        await own.page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
        await textOf(own.page.getByTestId('session-expired')).toBe('登录已过期，请重新登录');
        expect(await own.page.getByTestId('app-title').count()).toBe(0);
        await screenshot(own.page, 'session-expired-zh-1366');
      } finally {
        await own.context.close();
      }

      // Disable: confirmed, the account cannot sign in.
      await page.getByTestId('user-disable-wang.fang').click();
      await page.getByTestId('user-disable-ok').click();
      await expect.poll(async () => (await users.get('wang.fang'))?.disabled, POLL).toBe(true);
      await textOf(page.getByTestId('user-row-wang.fang')).toContain('已停用');
      await screenshot(page, 'users-zh-1366');

      // Each change is audited under the administrator's display name; a dock's entries name the
      // dock, not its device path; details are text, not JSON.
      await rig.gw.app.store.audit.append({
        type: 'time-sync',
        actor: 'dock:/tmp/dash-dock-x/dock7',
        subject: 'recorder:BC7999',
        details: { officer: { name: '赵警官', certNo: 'ZF1' }, offsetMs: 12 },
      });
      await page.getByTestId('nav-audit').click();
      const actors = page.getByTestId('audit-actor');
      await expect
        .poll(() => actors.allTextContents(), POLL)
        .toContain(`legal-affairs-用户（${rig.users['legal-affairs']}）`);
      const body = (await page.locator('.ant-table').last().textContent()) ?? '';
      expect(body).toContain('采集站 dock7');
      expect(body).not.toContain('/tmp/dash-dock-x');
      expect(body).toContain('officer: 赵警官（ZF1）');
      expect(body).not.toContain('{"');
      await screenshot(page, 'audit-names-zh-1366');
    } finally {
      await context.close();
    }
  });

  it('the equipment manager registers a recorder and rotates its credential, each shown once', async () => {
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      await loginFast(page, rig.users['equipment-manager'], PASSWORD, '/registry');
      await page.getByTestId('recorder-register').click();
      await page.getByTestId('register-serial').fill('BC7301');
      await page.getByTestId('register-model').fill('DSJ-V9');
      await page.getByTestId('register-unit').fill('执法一处');
      await page.getByTestId('register-ok').click();
      const value = page.getByTestId('credential-value');
      await value.waitFor();
      const first = (await value.textContent())!.trim();
      expect(first.length).toBeGreaterThanOrEqual(16);
      await textOf(page.getByTestId('credential-warning')).toContain('只显示这一次');
      await page.getByTestId('credential-copy').click();
      await screenshot(page, 'registry-credential-zh-1366');
      await page.getByTestId('credential-close').click();
      await expect.poll(() => page.getByTestId('credential-value').count(), POLL).toBe(0);
      await page.getByTestId('registry-row-BC7301').waitFor();
      expect(await page.locator('body').textContent()).not.toContain(first);
      const rec = await rig.gw.app.field.registry.get('BC7301');
      expect(rec).toMatchObject({
        model: 'DSJ-V9',
        unit: '执法一处',
        registeredBy: rig.users['equipment-manager'],
      });

      await page.getByTestId('rotate-BC7301').click();
      await page.getByTestId('rotate-ok').click();
      await value.waitFor();
      const second = (await value.textContent())!.trim();
      expect(second).not.toBe(first);
      await page.getByTestId('credential-close').click();
      const entries = (await rig.gw.app.store.audit.recent(50)).filter(
        (e) => e.type === 'recorder-admin' && e.subject.includes('BC7301'),
      );
      expect(entries.length).toBe(2);
      expect(JSON.stringify(entries)).not.toContain(first);
      expect(JSON.stringify(entries)).not.toContain(second);
    } finally {
      await context.close();
    }
  });

  it('an officer still holding a recorder checks it in from the refusal; a lost gateway claims nothing 可领用', async () => {
    const officer = rig.users.officer;
    for (const serial of ['BC7401', 'BC7402']) {
      await rig.gw.app.field.registry.register({ serial }, 'test');
      const { recorder } = await recorderWithClips({ serial, clipBytes: [], clipSeconds: 1 });
      await rig.dock(`dock-${serial}`, recorder);
    }
    const { context, page } = await newPage(rig.browser, rig.gw.url, TABLET);
    try {
      await loginFast(page, officer, PASSWORD, '/dock');
      await waitLive(page);
      for (const serial of ['BC7401', 'BC7402']) {
        await page.getByTestId(`take-${serial}`).waitFor({ timeout: 30_000 });
        await expect
          .poll(() => page.getByTestId(`take-${serial}`).isEnabled(), { timeout: 30_000 })
          .toBe(true);
      }
      await rig.gw.app.pairing.pair(
        { serial: 'BC7401', officer: { id: officer, name: '赵警官', certNo: 'ZF32070101' } },
        officer,
      );
      await textOf(page.getByTestId('my-recorder')).toContain('BC7401');

      // Taking a second one: the gateway says check the first in, and the refusal offers it.
      await page.getByTestId('take-BC7402').click();
      await page.getByTestId('take-name').fill('赵警官');
      await page.getByTestId('take-cert').fill('ZF32070101');
      await page.getByTestId('take-confirm').click();
      await textOf(page.getByTestId('already-paired')).toContain('请先交还');
      await screenshot(page, 'officer-already-paired-zh-tablet');
      await page.getByTestId('already-paired').getByTestId('check-in-BC7401').click();
      await expect.poll(() => rig.gw.app.pairing.activeFor('BC7401'), POLL).toBeUndefined();
      await page.getByTestId('take-confirm').click();
      await textOf(page.getByTestId('assigned-BC7402')).toContain('赵警官');
      expect(rig.gw.app.pairing.activeFor('BC7402')?.officer.id).toBe(officer);

      // The gateway goes away: the live dot is red and says so, and the free recorder's card no
      // longer says 可领用 (nobody knows), nor can it be taken.
      await page.route('**/api/events', (r) => r.abort('connectionrefused'));
      await page.reload();
      await textOf(page.locator('[data-testid="live-status"][data-connected="false"]')).toBe('连接中断');
      await page.getByTestId('connection-lost').waitFor();
      await page.getByTestId('slot-unknown-BC7401').waitFor();
      expect(await page.getByTestId('take-BC7401').isEnabled()).toBe(false);
      expect(await page.locator('main').textContent()).not.toContain('可领用');
      await screenshot(page, 'officer-connection-lost-zh-tablet');
    } finally {
      await context.close();
    }
  });

  // Layout (one browser context resized between the widths, a few pages in both languages): the
  // side menu folds to icons below 1200 px and the header's button opens it; no page overflows the
  // window sideways, no table column is squeezed to a character's width or cuts its content.
  it('lays out at 1366×768 and 1024×768 in zh and en without clipped or one-character columns', async () => {
    const { context, page } = await newPage(rig.browser, rig.gw.url);
    try {
      for (const [role, paths] of [
        ['equipment-manager', ['/fleet', '/registry']],
        ['legal-affairs', ['/users', '/audit']],
      ] as const) {
        await loginFast(page, rig.users[role], PASSWORD, paths[0]);
        for (const width of [1366, 1024]) {
          const folded = width < 1200;
          await page.setViewportSize({ width, height: 768 });
          await expect
            .poll(() => page.getByTestId('sider').getAttribute('data-collapsed'), POLL)
            .toBe(String(folded));
          for (const lang of ['zh', 'en'] as const) {
            if (lang === 'en') await page.getByTestId('lang-switch').click();
            for (const path of paths) {
              // Folded, the menu shows icons: the item is clicked, not its (hidden) label.
              await page.locator('li', { has: page.getByTestId(`nav-${path.slice(1)}`) }).click();
              await page.waitForURL(`**${path}`);
              await expectTidyLayout(page, `${path.slice(1)}-${lang}-${width}`);
            }
          }
          await page.getByTestId('lang-switch').click();
          // The hamburger opens and folds the menu at any width.
          await page.getByTestId('menu-toggle').click();
          await expect
            .poll(() => page.getByTestId('sider').getAttribute('data-collapsed'), POLL)
            .toBe(String(!folded));
          if (folded) await screenshot(page, `layout-menu-open-${role}-${width}`);
          await page.getByTestId('menu-toggle').click();
        }
        await page.getByTestId('logout').click();
        await page.getByTestId('login-submit').waitFor();
      }
    } finally {
      await context.close();
    }
  });
});
