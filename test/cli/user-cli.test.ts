/**
 * The real CLI as a child process: `user add` takes no password on argv (where `ps` shows it to
 * every local user); it reads stdin (`--password-stdin`) or asks on the terminal without echo (a
 * real PTY through util-linux `script`). `user unlock` lifts a login lock offline, audited.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/child-gateway.js';
import { startGateway } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

let dir: string;
let config: string;
const GATEWAY = ['--import', 'tsx', 'gateway/main.ts'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gw-cli-'));
  config = join(dir, 'gateway.json');
  await writeFile(config, JSON.stringify({ dataDir: join(dir, 'data'), dock: { ports: [] } }));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function cli(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...GATEWAY, '-c', config, ...args], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('exit', (code) => resolve({ code, out, err }));
    child.stdin.end(stdin);
  });
}

const users = async (): Promise<string[]> =>
  JSON.parse((await cli(['user', 'list'])).out).map((u: { username: string }) => u.username);

describe('gateway user add', () => {
  it('refuses a password on the command line', async () => {
    const r = await cli(['user', 'add', '-u', 'on.argv', '-n', '甲', '-r', 'officer', '-p', 'argv-password']);
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/unknown option '-p'/);
    expect(await users()).not.toContain('on.argv');
  }, 60_000);

  it('reads the password from stdin with --password-stdin', async () => {
    const r = await cli(
      ['user', 'add', '-u', 'from.stdin', '-n', '乙', '-r', 'officer', '--password-stdin'],
      'stdin-password\n',
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('stdin-password');
    const gw = await startGateway({ dataDir: join(dir, 'data') });
    try {
      const ok = await fetch(`${gw.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'from.stdin', password: 'stdin-password' }),
      });
      expect(ok.status).toBe(200);
    } finally {
      await gw.app.stop();
    }
  }, 60_000);

  it('asks on a terminal twice without echoing the password', async () => {
    const command = [
      'node',
      ...GATEWAY,
      '-c',
      config,
      'user',
      'add',
      '-u',
      'at.tty',
      '-n',
      '丙',
      '-r',
      'officer',
    ].join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: REPO,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', r));
    await waitFor(() => screen.includes('Password: '), 'the password prompt', 60_000);
    child.stdin.write('tty-password\r');
    await waitFor(() => screen.includes('Repeat it: '), 'the second prompt');
    child.stdin.write('tty-password\r');
    expect(await exited, screen).toBe(0);
    expect(screen).toContain('"username":"at.tty"');
    expect(screen).not.toContain('tty-password');
    expect(await users()).toContain('at.tty');
  }, 90_000);
});

describe('gateway user unlock', () => {
  it('lifts a persisted login lock with an audit entry', async () => {
    const dataDir = join(dir, 'data');
    const gw = await startGateway({ dataDir, http: { login: { lockAfter: 2, backoffAfter: 5 } } });
    try {
      await gw.app.users.add({
        username: 'locked.out',
        displayName: '丁',
        roles: ['officer'],
        password: 'right-password',
      });
      const attempt = (password: string) =>
        fetch(`${gw.url}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'locked.out', password }),
        });
      await attempt('wrong-1');
      await attempt('wrong-2');
      expect((await attempt('right-password')).status).toBe(423);
    } finally {
      await gw.app.stop();
    }
    const r = await cli(['user', 'unlock', 'locked.out', '--by', 'legal.zhao']);
    expect(r.code, r.err).toBe(0);
    expect((await cli(['user', 'unlock', 'locked.out'])).err).toMatch(/not locked/);
    const again = await startGateway({ dataDir });
    try {
      const ok = await fetch(`${again.url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'locked.out', password: 'right-password' }),
      });
      expect(ok.status).toBe(200);
      const audit = await again.app.store.audit.bySubject('user:locked.out', { limit: 100 });
      // (Account administration, user add included, is audited too: only the login entries here.)
      const login = audit.filter((e) => e.type.startsWith('login-') || e.details.action === 'login-unlock');
      expect(login.map((e) => [e.type, e.details.reason])).toEqual([
        ['login-failed', 'bad-credentials'],
        ['login-failed', 'bad-credentials'],
        ['login-locked', undefined],
        ['login-failed', 'account-locked'],
        ['user-admin', undefined],
      ]);
      expect(audit.at(-1)).toMatchObject({ actor: 'cli:legal.zhao', details: { action: 'login-unlock' } });
    } finally {
      await again.app.stop();
    }
  }, 90_000);
});
