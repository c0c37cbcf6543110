/**
 * One gateway (real services, temp data dir, ephemeral ports), one chromium, and a signed-up user
 * per role: what every dashboard test file starts from. Docks are PTY pairs in a temp dir the
 * gateway's dock glob watches.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Locator } from 'playwright-core';
import { expect } from 'vitest';
import { createPtyPair, type PtyPair } from '../../device-sim/pty.js';
import { dockOnSerialPort, type RecorderDock } from '../../device-sim/recorder/dock-link.js';
import type { Recorder } from '../../device-sim/recorder/recorder.js';
import type { GatewayConfigInput } from '../../gateway/config.js';
import { ALL_ROLES, type Role } from '../../gateway/roles.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { launchChromium } from './browser.js';
import { ensureDashboardBuilt } from './build.js';

export const PASSWORD = 'dashboard-test-pw';

/** Polls a locator's text (playwright's own expect is not part of playwright-core). */
export const textOf = (loc: Locator) => expect.poll(() => loc.textContent(), { timeout: 15_000 });

export interface DashRig {
  gw: TestGateway;
  browser: Browser;
  /** User name per role (display name `<role>-用户`), all with PASSWORD. */
  users: Record<Role, string>;
  /**
   * A new dock cable (PTY pair) the gateway picks up, with `recorder` seated on its device end;
   * `undock()` takes the recorder out (the cable is pulled).
   */
  dock(name: string, recorder: Recorder): Promise<{ undock(): Promise<void> }>;
  stop(): Promise<void>;
}

export async function startDashRig(config: GatewayConfigInput = {}): Promise<DashRig> {
  await ensureDashboardBuilt();
  const dockDir = await mkdtemp(join(tmpdir(), 'dash-dock-'));
  const gw = await startGateway({
    ...config,
    dock: { ports: [join(dockDir, 'dock*')], chunkBytes: 16 * 1024, readWindow: 8, ...config.dock },
  });
  const cables: PtyPair[] = [];
  const seated: RecorderDock[] = [];
  let browser: Browser | undefined;
  try {
    const users = {} as Record<Role, string>;
    for (const role of ALL_ROLES) {
      users[role] = `ui-${role}`;
      await gw.app.users.add({
        username: users[role],
        displayName: `${role}-用户`,
        roles: [role],
        password: PASSWORD,
      });
    }
    browser = await launchChromium();
    const b = browser;
    return {
      gw,
      browser: b,
      users,
      async dock(name, recorder) {
        const pair = await createPtyPair(join(dockDir, name), join(dockDir, `dev-${name}`));
        cables.push(pair);
        const device = await dockOnSerialPort(recorder, pair.devicePath, { helloRetryMs: 200 });
        seated.push(device);
        return {
          async undock() {
            await device.stop();
            await pair.unplug();
          },
        };
      },
      async stop() {
        await b.close();
        for (const d of seated) await d.stop().catch(() => {});
        for (const c of cables) await c.unplug();
        await gw.stop();
        await rm(dockDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await browser?.close();
    await gw.stop();
    await rm(dockDir, { recursive: true, force: true });
    throw err;
  }
}
