/**
 * A linked PTY pair made with Debian's socat: what a USB dock cable is to the simulator. Killing
 * socat is an unplug (both ends lose the link).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface PtyPair {
  /** The end the gateway opens (put it where the gateway's dock globs look). */
  gatewayPath: string;
  /** The end the simulated recorder opens. */
  devicePath: string;
  /** Pulls the cable: both ends see a lost link. */
  unplug(): Promise<void>;
  readonly alive: boolean;
}

export async function createPtyPair(gatewayPath: string, devicePath: string): Promise<PtyPair> {
  // socat runs under a tiny shell that kills it when our stdin pipe closes, so a crashed or killed
  // test process never leaves a cable behind.
  const child: ChildProcess = spawn(
    'sh',
    [
      '-c',
      'exec 3<&0; socat "$@" & pid=$!; (read _ <&3; kill $pid 2>/dev/null) & wait $pid',
      'sh',
      '-b65536',
      `pty,raw,echo=0,link=${gatewayPath}`,
      `pty,raw,echo=0,link=${devicePath}`,
    ],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let exited = false;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.once('exit', () => {
    exited = true;
  });
  for (let i = 0; i < 200 && !(existsSync(gatewayPath) && existsSync(devicePath)); i++) {
    if (exited) throw new Error(`socat exited: ${stderr.trim()}`);
    await sleep(10);
  }
  if (!existsSync(gatewayPath) || !existsSync(devicePath)) {
    child.stdin?.end();
    throw new Error(`socat did not create ${gatewayPath} and ${devicePath}: ${stderr.trim()}`);
  }
  return {
    gatewayPath,
    devicePath,
    get alive() {
      return !exited;
    },
    async unplug() {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.stdin?.end();
      await done;
    },
  };
}
