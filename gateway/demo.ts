/**
 * `gateway demo` (the README's first command): the real gateway on embedded defaults plus a
 * simulated office — recorders in the field over MQTT, recorders sitting in docks over PTY pairs,
 * and hearing-room ONVIF cameras on 127.0.0.x. Secrets are generated on first run (there are no
 * default passwords) and kept in <dataDir>/demo-secrets.json so a restart logs in the same way.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startCameras } from '../device-sim/camera/index.js';
import { createPtyPair, type PtyPair } from '../device-sim/pty.js';
import { recorderWithClips } from '../device-sim/recorder/dock-fixture.js';
import { dockOnSerialPort, type RecorderDock } from '../device-sim/recorder/dock-link.js';
import { FfmpegClipSource } from '../device-sim/recorder/ffmpeg-clip-source.js';
import { defaultFleetScenario, type FleetHandle, startFleet } from '../device-sim/scenario/index.js';
import { GatewayApp } from './app.js';
import { seedHistory } from './compliance/seed.js';
import { demoCameraId } from './compliance/seed-hearings.js';
import { type GatewayConfig, parseConfig } from './config.js';
import { createLogger } from './log.js';
import { ALL_ROLES, type Role } from './roles.js';

interface DemoSecrets {
  users: Record<string, { password: string; role: Role }>;
  recorders: Record<string, string>;
  cameraPassword: string;
}

const DEMO_NAMES: Record<Role, string> = {
  'equipment-manager': '王设备',
  officer: '李执法',
  'hearing-staff': '赵听证',
  'legal-affairs': '陈法规',
  principal: '刘局长',
  auditor: '孙审计',
  provincial: '周省局',
};

const secret = () => randomBytes(9).toString('base64url');

async function loadSecrets(file: string): Promise<DemoSecrets> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DemoSecrets;
  } catch {
    return { users: {}, recorders: {}, cameraPassword: secret() };
  }
}

/** Demo config: dock globs point at the simulator's PTY links; rooms for the cameras. */
export function demoConfig(base: GatewayConfig): GatewayConfig {
  const dataDir = resolve(base.dataDir);
  const rooms = Array.from({ length: Math.max(base.demo.cameras, 1) }, (_, i) => ({
    id: `room-${i + 1}`,
    name: `第${'一二三四五六七八九十'[i] ?? i + 1}听证室`,
  }));
  return parseConfig({
    ...base,
    dock: { ...base.dock, ports: [...base.dock.ports, join(dataDir, 'docks', 'dock*')] },
    // The simulated fleet connects from one address: its burst must fit them all.
    mqtt: {
      ...base.mqtt,
      connectRate: {
        ...base.mqtt.connectRate,
        burst: Math.max(base.mqtt.connectRate.burst, base.demo.recorders * 2),
      },
    },
    cameras: {
      ...base.cameras,
      rooms: base.cameras.rooms.length ? base.cameras.rooms : rooms,
      discoveryInterface: base.cameras.discoveryInterface ?? '127.0.0.1',
    },
  });
}

export async function runDemo(base: GatewayConfig): Promise<void> {
  const config = demoConfig(base);
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'error', pretty: true });
  const dataDir = resolve(config.dataDir);
  const secretsFile = join(dataDir, 'demo-secrets.json');
  await mkdir(join(dataDir, 'docks'), { recursive: true });
  const secrets = await loadSecrets(secretsFile);

  // A month of history on a fresh data dir, before the gateway opens it (virtual time, seeded).
  const historyMark = join(dataDir, 'demo-history.json');
  if (config.demo.historyDays > 0 && !(await readFile(historyMark).catch(() => null))) {
    const h = await seedHistory(config, {
      seed: config.demo.seed,
      days: config.demo.historyDays,
      officers: Math.max(config.demo.recorders, 4),
      end: Date.now(),
      log: log.child({ svc: 'demo-history' }),
    });
    await writeFile(historyMark, `${JSON.stringify({ seed: config.demo.seed, ...h })}\n`);
    console.log(
      `  Seeded ${config.demo.historyDays} days of history (seed ${config.demo.seed}): ${h.sessions} sessions, ${h.hearings} hearings, ${h.clips} clips, ${h.interruptions} interruptions, ${h.cases} cases in ${(h.ms / 1000).toFixed(1)} s`,
    );
  }

  const app = new GatewayApp({ config, log });
  await app.start();

  // Dashboard users, one per office role (the provincial one signs in to `gateway central`).
  for (const role of ALL_ROLES.filter((r) => r !== 'provincial')) {
    const username = role.replace(/-/g, '');
    if (!(await app.users.get(username))) {
      const password = secrets.users[username]?.password ?? secret();
      await app.users.add({ username, displayName: DEMO_NAMES[role], roles: [role], password }, 'demo');
      secrets.users[username] = { password, role };
    }
  }

  // Field recorders over MQTT, and recorders waiting in the docks.
  const fieldSerials = Array.from(
    { length: config.demo.recorders },
    (_, i) => `BC${String(i + 1).padStart(4, '0')}`,
  );
  const dockSerials = Array.from(
    { length: config.demo.docks },
    (_, i) => `DK${String(i + 1).padStart(4, '0')}`,
  );
  for (const serial of [...fieldSerials, ...dockSerials]) {
    const known = await app.field.registry.get(serial);
    if (!known) {
      const r = await app.field.registry.register({ serial, model: 'ZFJLY-S1', unit: '综合执法处' }, 'demo');
      secrets.recorders[serial] = r.credential;
    } else if (!secrets.recorders[serial]) {
      secrets.recorders[serial] = await app.field.registry.rotateCredential(serial, 'demo');
    }
  }
  await writeFile(secretsFile, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });

  let fleet: FleetHandle | undefined;
  if (fieldSerials.length) {
    fleet = await startFleet({
      brokerUrl: `mqtt://127.0.0.1:${app.mqttPort}`,
      scenario: defaultFleetScenario({ count: fieldSerials.length, seed: 7 }),
      credentials: secrets.recorders,
      speed: config.demo.speed,
      clips: 'synthetic',
      logger: log.child({ svc: 'sim-fleet' }),
    });
  }

  const pairs: PtyPair[] = [];
  const docks: RecorderDock[] = [];
  const clips = new FfmpegClipSource({ dir: join(dataDir, 'sim-clips') });
  for (const [i, serial] of dockSerials.entries()) {
    const { recorder } = await recorderWithClips({ serial, clipBytes: [0, 0, 0], clips, clipSeconds: 120 });
    const pair = await createPtyPair(
      join(dataDir, 'docks', `dock${i}`),
      join(dataDir, 'docks', `.device${i}`),
    );
    pairs.push(pair);
    docks.push(await dockOnSerialPort(recorder, pair.devicePath, { logger: log.child({ svc: 'sim-dock' }) }));
  }

  // Hearing-room cameras.
  const cameras = config.demo.cameras
    ? await startCameras(config.demo.cameras, {
        common: { user: 'admin', password: secrets.cameraPassword, httpPort: 8000, rtspPort: 8554 },
        perCamera: (i) => ({ name: `听证室${i + 1}摄像机`, location: `room-${i + 1}` }),
        logger: log.child({ svc: 'sim-camera' }),
      })
    : undefined;
  for (const [i, cam] of (cameras?.cameras ?? []).entries()) {
    if (app.cameras.list().some((c) => c.xaddr === cam.xaddr)) continue;
    await app.cameras
      .add(
        {
          xaddr: cam.xaddr,
          user: 'admin',
          password: secrets.cameraPassword,
          roomId: `room-${i + 1}`,
          // The id the seeded history's hearings name (seed-hearings.ts).
          id: demoCameraId(i + 1),
        },
        'demo',
      )
      .catch((err) => log.warn({ err, xaddr: cam.xaddr }, 'demo camera not added'));
  }

  const url = `http://localhost:${app.httpPort}/`;
  console.log(
    `\n  Dashboard: ${url}\n  MQTT broker: mqtt://localhost:${app.mqttPort}\n  Logins (also in ${secretsFile}):`,
  );
  for (const [username, u] of Object.entries(secrets.users)) {
    console.log(`    ${u.role.padEnd(18)} ${username.padEnd(18)} ${u.password}`);
  }
  console.log('');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    for (const d of docks) await d.stop();
    for (const p of pairs) await p.unplug();
    await fleet?.stop();
    await cameras?.stop();
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
