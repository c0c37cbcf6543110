/**
 * GStreamer's RTSP server as a camera's stream (gst-rtsp-server.py): a foreign RTSP stack with
 * Digest auth, H.264 and a G.711 A-law or AAC track. The test can freeze it (SIGSTOP), thaw it
 * (SIGCONT), kill it, and start it again on the same port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./gst-rtsp-server.py', import.meta.url));
/** Debian's python3 carries python3-gi; a pyenv python3 earlier on PATH does not. */
const PYTHON = '/usr/bin/python3';

export interface GstRtspOptions {
  address: string;
  /** 0: any free port. */
  port?: number;
  user: string;
  password: string;
  audio?: 'pcma' | 'aac' | 'none';
  /** Lower transports offered (the other one is refused with 461). */
  protocols?: 'tcp' | 'udp' | 'both';
  path?: string;
}

export interface GstRtsp {
  readonly port: number;
  readonly pid: number;
  /** The stream's URL, without credentials. */
  readonly url: string;
  pause(): void;
  resume(): void;
  /** SIGKILL: the server is gone at once, its connections reset. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (after kill). */
  restart(): Promise<GstRtsp>;
}

export async function gstAvailable(): Promise<string | null> {
  const child = spawn(PYTHON, ['-c', 'import gi; gi.require_version("GstRtspServer", "1.0")'], {
    stdio: 'ignore',
  });
  const code = await new Promise<number | null>((r) => {
    child.on('exit', r);
    child.on('error', () => r(-1));
  });
  return code === 0 ? null : `${PYTHON} lacks gi / GstRtspServer (.ci/system-deps.sh installs them)`;
}

export async function startGstRtsp(o: GstRtspOptions): Promise<GstRtsp> {
  const path = o.path ?? '/stream';
  const args = [SCRIPT, '--address', o.address, '--port', String(o.port ?? 0), '--path', path];
  args.push('--user', o.user, '--audio', o.audio ?? 'pcma', '--protocols', o.protocols ?? 'both');
  const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin!.end(`${o.password}\n`);
  const port = await ready(child);
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    port,
    pid: child.pid!,
    url: `rtsp://${o.address}:${port}${path}`,
    pause: () => child.kill('SIGSTOP'),
    resume: () => child.kill('SIGCONT'),
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await gone;
    },
    restart: () => startGstRtsp({ ...o, port }),
  };
}

function ready(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail('no "ready" within 20 s'), 20_000);
    function fail(why: string) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`gst-rtsp-server: ${why}: ${err.slice(-500)}`));
    }
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^ready (\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => fail(`exited (${code})`));
    child.once('error', (e) => fail(e.message));
  });
}
