/**
 * Administration leaves a trace (R3, R21, R24): accounts (API-side store and the CLI), recorder
 * registration, credential rotation and changes, camera add / room / remove, each an audit entry
 * naming the actor and the subject; `config-loaded` with the SHA-256 of the effective config at
 * each start. No secret reaches an entry.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFleet, startCameras } from '../../device-sim/camera/index.js';
import { configSha256 } from '../../gateway/integrity/admin-audit.js';
import type { AuditEntry } from '../../gateway/store/index.js';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CAMERA_PW = 'Adm1n-cam-pw';

let gw: TestGateway;
let fleet: CameraFleet;
let manager: ApiClient;

beforeAll(async () => {
  fleet = await startCameras(1, { firstOctet: 93, common: { user: 'admin', password: CAMERA_PW } });
  gw = await startGateway({
    cameras: { rooms: [{ id: 'R1', name: '听证室一' }], healthPollS: 600 },
  });
  manager = await gw.as('equipment-manager');
});
afterAll(async () => {
  await gw?.stop();
  await fleet?.stop();
});

async function entries(type: AuditEntry['type'], subject?: string): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of gw.app.store.audit.range(1, gw.app.store.audit.head.seq)) {
    if (e.type === type && (subject === undefined || e.subject === subject)) out.push(e);
  }
  return out;
}

describe('admin actions are audited', () => {
  it('records the config the gateway started with', async () => {
    const [e] = await entries('config-loaded');
    expect(e).toMatchObject({ actor: 'gateway', subject: 'config:gateway' });
    expect(e!.details.sha256).toBe(configSha256(gw.app.config));
    expect(e!.details.source).toBe('embedded defaults');
  });

  it('records a user added, with who added it and no password', async () => {
    await gw.app.users.add(
      { username: 'clerk1', displayName: '书记员', roles: ['auditor'], password: 'pw-clerk-secret' },
      'admin-zhang',
    );
    const [e] = await entries('user-admin', 'user:clerk1');
    expect(e).toMatchObject({ actor: 'admin-zhang', details: { action: 'add', roles: ['auditor'] } });
    expect(JSON.stringify(e)).not.toContain('pw-clerk-secret');
  });

  it('records recorder registration, credential rotation and changes by the equipment manager', async () => {
    const reg = await manager.post('/api/recorders', {
      serial: 'ADM-01',
      model: 'DSJ-V9',
      unit: '综合执法处',
    });
    expect(reg.status).toBe(200);
    const rot = await manager.post('/api/recorders/ADM-01/credential');
    expect(rot.status).toBe(200);
    expect((await manager.request('PATCH', '/api/recorders/ADM-01', { custodian: '王保管' })).status).toBe(
      200,
    );
    const log = await entries('recorder-admin', 'recorder:ADM-01');
    expect(log.map((e) => [e.actor, e.details.action])).toEqual([
      [manager.username, 'register'],
      [manager.username, 'rotate-credential'],
      [manager.username, 'update'],
    ]);
    const text = JSON.stringify(log);
    for (const secret of [reg.body.credential, rot.body.credential]) expect(text).not.toContain(secret);
  });

  it('records a camera added, moved to a room and removed, without its password', async () => {
    const cam = fleet.cameras[0]!;
    const add = await manager.post('/api/cameras', {
      id: 'cam-adm',
      xaddr: cam.xaddr,
      user: 'admin',
      password: CAMERA_PW,
    });
    expect(add.status).toBe(200);
    expect((await manager.request('PUT', '/api/cameras/cam-adm/room', { roomId: 'R1' })).status).toBe(200);
    expect((await manager.request('DELETE', '/api/cameras/cam-adm')).status).toBe(200);
    const log = await entries('camera-admin', 'camera:cam-adm');
    expect(log.map((e) => [e.actor, e.details.action])).toEqual([
      [manager.username, 'add'],
      [manager.username, 'assign-room'],
      [manager.username, 'remove'],
    ]);
    expect(log[0]!.details.xaddr).toBe(cam.xaddr);
    expect(JSON.stringify(log)).not.toContain(CAMERA_PW);
  });
});

describe('the CLI audits what it administers', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('user add and recorder add append entries with actor cli', async () => {
    dir = await mkdtemp(join(tmpdir(), 'gw-cli-audit-'));
    const cfg = join(dir, 'gateway.json');
    await writeFile(cfg, JSON.stringify({ dataDir: join(dir, 'data'), logLevel: 'silent' }));
    const cli = (args: string[], stdin = '') =>
      new Promise<void>((ok, fail) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', join(ROOT, 'gateway/main.ts'), '-c', cfg, ...args],
          { cwd: ROOT },
          (err) => (err ? fail(err) : ok()),
        );
        child.stdin?.end(stdin);
      });
    await cli(
      ['user', 'add', '-u', 'chief', '-n', '局长', '-r', 'principal', '--password-stdin'],
      'pw-cli-secret-1\n',
    );
    await cli(['recorder', 'add', 'CLI-01', '-m', 'DSJ-V9']);
    const lines = (await readFile(join(dir, 'data', 'store', 'audit', 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditEntry);
    expect(lines.map((e) => [e.type, e.actor, e.subject, e.details.action])).toEqual([
      ['user-admin', 'cli', 'user:chief', 'add'],
      ['recorder-admin', 'cli', 'recorder:CLI-01', 'register'],
    ]);
    expect(JSON.stringify(lines)).not.toContain('pw-cli-secret-1');
  });
});
