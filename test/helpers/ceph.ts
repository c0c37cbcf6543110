/**
 * Starts a real single-node Ceph cluster (one mon, one bluestore OSD on a sparse file, radosgw) on
 * loopback with all its data under a temp dir, and stops it by the daemons' pid files. One cluster
 * per test file (beforeAll): start-up is ~10 s. Needs Debian's ceph-mon, ceph-osd, radosgw and
 * ceph-common, and root (the daemons write their own pid/run dirs; CI runs as root).
 * Recipe and gotchas: ../shared/DEPENDENCIES.md, "S3 with Object Lock for tests".
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait.js';

const run = promisify(execFile);

const TOOLS = ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'ceph', 'ceph-authtool', 'monmaptool'];

/** Why the Ceph-backed tests cannot run here, or undefined when they can. */
export function cephSkipReason(): string | undefined {
  const missing = TOOLS.filter((t) => !existsSync(`/usr/bin/${t}`) && !existsSync(`/usr/sbin/${t}`));
  if (missing.length > 0)
    return `Ceph packages absent (${missing.join(', ')}); .ci/system-deps.sh installs them`;
  if (process.getuid?.() !== 0) return 'starting Ceph daemons needs root (CI runs as root)';
  return undefined;
}

/** Prints the reason once and returns true when the file's Ceph tests must be skipped. */
export function skipWithoutCeph(file: string): boolean {
  const reason = cephSkipReason();
  if (reason) console.warn(`[skip] ${file}: ${reason}`);
  return reason !== undefined;
}

export interface CephCluster {
  /** http://127.0.0.1:PORT of radosgw (path-style S3). */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  dir: string;
  /** Runs radosgw-admin against this cluster (the S3 admin's own tool). */
  admin(args: string[]): Promise<string>;
  /** Stops radosgw only (the archive "down"); startRgw brings it back on the same port. */
  stopRgw(): Promise<void>;
  startRgw(): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function conf(dir: string, fsid: string, monPort: number, rgwPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${monPort}]
mon initial members = a
public network = 127.0.0.0/8
ms bind msgr1 = false
ms bind msgr2 = true
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
run dir = ${dir}/run
pid file = ${dir}/run/$name.pid
admin socket = ${dir}/run/$cluster-$name.asok
log file = ${dir}/log/$name.log
mon cluster log file = ${dir}/log/cluster.log
crash dir = ${dir}/crash
log to stderr = false
err to stderr = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon data avail crit = 1
mon data avail warn = 2
[mon]
mon data = ${dir}/mon/$cluster-$id
paxos propose interval = 0.1
[osd]
osd data = ${dir}/osd/$cluster-$id
keyring = ${dir}/osd/$cluster-$id/keyring
osd objectstore = bluestore
bluestore block path = ${dir}/osd/$cluster-$id.block
bluestore block create = true
bluestore block size = 8589934592
bluestore fsck on mkfs = false
osd memory target = 939524096
osd op num shards = 1
osd op num threads per shard = 2
[client.admin]
keyring = ${dir}/admin.keyring
[client.rgw.a]
keyring = ${dir}/rgw.keyring
rgw data = ${dir}/rgw
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
`;
}

async function pidOf(dir: string, name: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(join(dir, 'run', `${name}.pid`), 'utf8')).trim(), 10);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopDaemon(dir: string, name: string): Promise<void> {
  const pid = await pidOf(dir, name);
  if (pid === undefined || !alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  try {
    await waitFor(() => !alive(pid), `${name} to exit`, 15_000, 50);
  } catch {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid), `${name} to die`, 5_000, 50);
  }
  await rm(join(dir, 'run', `${name}.pid`), { force: true });
}

async function s3Answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status > 0;
  } catch {
    return false;
  }
}

export async function startCeph(): Promise<CephCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'ceph-test-'));
  const cfg = join(dir, 'ceph.conf');
  const fsid = randomUUID();
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  for (const d of ['run', 'log', 'crash', 'mon/ceph-a', 'osd/ceph-0', 'rgw'])
    await mkdir(join(dir, d), { recursive: true });
  await writeFile(cfg, conf(dir, fsid, monPort, rgwPort));
  const c = (bin: string, args: string[], timeout = 30_000) =>
    run(bin, ['-c', cfg, ...args], { timeout, maxBuffer: 4 << 20 }).then((r) => r.stdout);
  const stopAll = async () => {
    for (const n of ['client.rgw.a', 'osd.0', 'mon.a']) await stopDaemon(dir, n).catch(() => {});
  };
  try {
    const monKeyring = join(dir, 'mon.keyring');
    const adminKeyring = join(dir, 'admin.keyring');
    await run('ceph-authtool', [
      '--create-keyring',
      monKeyring,
      '--gen-key',
      '-n',
      'mon.',
      '--cap',
      'mon',
      'allow *',
    ]);
    await run('ceph-authtool', [
      '--create-keyring',
      adminKeyring,
      '--gen-key',
      '-n',
      'client.admin',
      '--cap',
      'mon',
      'allow *',
      '--cap',
      'osd',
      'allow *',
      '--cap',
      'mgr',
      'allow *',
    ]);
    await run('ceph-authtool', [monKeyring, '--import-keyring', adminKeyring]);
    await run('monmaptool', [
      '--create',
      '--fsid',
      fsid,
      '--addv',
      'a',
      `[v2:127.0.0.1:${monPort}]`,
      join(dir, 'monmap'),
    ]);
    await c('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', join(dir, 'monmap'), '--keyring', monKeyring]);
    await c('ceph-mon', ['-i', 'a']);

    const osdUuid = randomUUID();
    const osdId = (await c('ceph', ['osd', 'new', osdUuid])).trim();
    if (osdId !== '0') throw new Error(`unexpected osd id ${osdId}`);
    await c('ceph-osd', ['-i', '0', '--mkfs', '--mkkey', '--no-mon-config', '--osd-uuid', osdUuid], 60_000);
    await c('ceph', [
      'auth',
      'add',
      'osd.0',
      'osd',
      'allow *',
      'mon',
      'allow profile osd',
      'mgr',
      'allow profile osd',
      '-i',
      join(dir, 'osd/ceph-0/keyring'),
    ]);
    await c('ceph-osd', ['-i', '0']);

    await c('ceph', [
      'auth',
      'get-or-create',
      'client.rgw.a',
      'mon',
      'allow rw',
      'osd',
      'allow rwx',
      'mgr',
      'allow rw',
      '-o',
      join(dir, 'rgw.keyring'),
    ]);
    const endpoint = `http://127.0.0.1:${rgwPort}`;
    const startRgw = async () => {
      await c('radosgw', ['-n', 'client.rgw.a']);
      await waitFor(() => s3Answers(endpoint), 'radosgw to answer', 60_000, 100);
    };
    await startRgw();
    const accessKeyId = randomBytes(10).toString('hex').toUpperCase();
    const secretAccessKey = randomBytes(20).toString('hex');
    await c('radosgw-admin', [
      'user',
      'create',
      '--uid=archive',
      '--display-name=archive',
      `--access-key=${accessKeyId}`,
      `--secret-key=${secretAccessKey}`,
    ]);
    return {
      endpoint,
      accessKeyId,
      secretAccessKey,
      dir,
      admin: (args) => c('radosgw-admin', args, 60_000),
      stopRgw: () => stopDaemon(dir, 'client.rgw.a'),
      startRgw,
      async stop() {
        await stopAll();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    const log = await readFile(join(dir, 'log', 'client.rgw.a.log'), 'utf8').catch(() => '');
    await stopAll();
    const keep = process.env.KEEP_CEPH ? ` (kept ${dir})` : '';
    if (!process.env.KEEP_CEPH) await rm(dir, { recursive: true, force: true });
    throw new Error(`Ceph did not start${keep}: ${(err as Error).message}\n${log.slice(-2000)}`);
  }
}
