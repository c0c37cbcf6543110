/**
 * Camera passwords at rest: sealed with AES-256-GCM under a 0600 key file in the data dir; a
 * record written in clear (before sealing existed) is sealed when read; the camera is still
 * reached with the right password after restarts. Real LevelDB, real gateway, simulated camera.
 */
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CameraFleet, startCameras } from '../../device-sim/camera/index.js';
import { SecretBox } from '../../gateway/cameras/secret-box.js';
import { openDb } from '../../gateway/db.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const PASSWORD = 'Cl3ar-Text-pw!';

describe('secret box', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secret-box-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('creates the key file 0600 once, and reuses it', async () => {
    const path = join(dir, 'k1');
    const a = await SecretBox.load(path);
    expect(a.created).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const key = await readFile(path);
    const b = await SecretBox.load(path);
    expect(b.created).toBe(false);
    expect(await readFile(path)).toEqual(key);
    expect(b.box.open(a.box.seal('x', 'camera:c1'), 'camera:c1')).toBe('x');
  });

  it('seals with a fresh IV each time; refuses altered, moved or foreign values', async () => {
    const { box } = await SecretBox.load(join(dir, 'k2'));
    const s1 = box.seal(PASSWORD, 'camera:c1');
    const s2 = box.seal(PASSWORD, 'camera:c1');
    expect(s1).not.toBe(s2);
    expect(s1).not.toContain(PASSWORD);
    expect(SecretBox.isSealed(s1)).toBe(true);
    expect(box.open(s1, 'camera:c1')).toBe(PASSWORD);
    expect(() => box.open(s1, 'camera:c2')).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT' }));
    const raw = Buffer.from(s1.slice('enc:v1:'.length), 'base64');
    raw[raw.length - 1]! ^= 1;
    const altered = `enc:v1:${raw.toString('base64')}`;
    expect(() => box.open(altered, 'camera:c1')).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT' }));
    const other = (await SecretBox.load(join(dir, 'k3'))).box;
    expect(() => other.open(s1, 'camera:c1')).toThrow(expect.objectContaining({ code: 'STORE_CORRUPT' }));
    expect(() => box.open('enc:v1:AAAA', 'camera:c1')).toThrow(
      expect.objectContaining({ code: 'STORE_CORRUPT' }),
    );
  });

  it('refuses a key file of the wrong size; narrows one others can read', async () => {
    const bad = join(dir, 'short');
    await writeFile(bad, Buffer.alloc(16));
    await expect(SecretBox.load(bad)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    const wide = join(dir, 'wide');
    await writeFile(wide, Buffer.alloc(32, 7));
    await chmod(wide, 0o644);
    expect((await SecretBox.load(wide)).narrowed).toBe(true);
    expect((await stat(wide)).mode & 0o777).toBe(0o600);
  });
});

describe('camera passwords in the registry', () => {
  let fleet: CameraFleet;
  let dataDir: string;
  let gw: TestGateway | undefined;
  const restart = async () => {
    await gw?.stop();
    gw = await startGateway({ dataDir, cameras: { healthPollS: 600 } });
    return gw;
  };
  /** Every byte LevelDB keeps for the index (log, tables, manifest). */
  const indexBytes = async () => {
    const dir = join(dataDir, 'index');
    const files = await readdir(dir);
    return Buffer.concat(
      await Promise.all(files.map((f) => readFile(join(dir, f)).catch(() => Buffer.alloc(0)))),
    );
  };
  const rawRecord = async () => {
    const db = await openDb(join(dataDir, 'index'));
    try {
      return (await db
        .sublevel<string, Record<string, unknown>>('cameras', { valueEncoding: 'json' })
        .get('cam1'))!;
    } finally {
      await db.close();
    }
  };

  beforeAll(async () => {
    fleet = await startCameras(1, { firstOctet: 91, common: { user: 'admin', password: PASSWORD } });
    dataDir = await mkdtemp(join(tmpdir(), 'cam-secrets-'));
  });
  afterAll(async () => {
    await gw?.stop();
    await fleet?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a camera added is stored with its password sealed, never in clear', async () => {
    const g = await restart();
    await g.app.cameras.add(
      { id: 'cam1', xaddr: fleet.cameras[0]!.xaddr, user: 'admin', password: PASSWORD },
      't',
    );
    expect((await stat(join(dataDir, 'camera-secrets.key'))).mode & 0o777).toBe(0o600);
    await g.stop();
    gw = undefined;
    const raw = await rawRecord();
    expect(SecretBox.isSealed(String(raw.password))).toBe(true);
    expect((await indexBytes()).includes(Buffer.from(PASSWORD))).toBe(false);
  });

  it('after a restart the sealed password opens and the camera is reached with it', async () => {
    const g = await restart();
    expect(g.app.cameras.get('cam1')?.password).toBe(PASSWORD);
    expect((await g.app.cameras.pollOne('cam1')).reachable).toBe(true);
  });

  it('a record stored in clear is sealed when read, and still works', async () => {
    await gw?.stop();
    gw = undefined;
    const db = await openDb(join(dataDir, 'index'));
    const cams = db.sublevel<string, Record<string, unknown>>('cameras', { valueEncoding: 'json' });
    await cams.put('cam1', { ...(await cams.get('cam1'))!, password: PASSWORD });
    await db.close();
    expect((await rawRecord()).password).toBe(PASSWORD);
    const g = await restart();
    expect(g.app.cameras.get('cam1')?.password).toBe(PASSWORD);
    expect((await g.app.cameras.pollOne('cam1')).reachable).toBe(true);
    await g.stop();
    gw = undefined;
    expect(SecretBox.isSealed(String((await rawRecord()).password))).toBe(true);
  });

  it('a sealed password that does not open (key file replaced) skips the record, the gateway runs', async () => {
    await writeFile(join(dataDir, 'camera-secrets.key'), Buffer.alloc(32, 1));
    const g = await restart();
    expect(g.app.cameras.get('cam1')).toBeUndefined();
    expect(g.app.cameras.list()).toEqual([]);
  });
});
