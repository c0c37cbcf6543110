import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createPtyPair, type PtyPair } from '../../device-sim/pty.js';
import type { OpenOptions } from '../../protocol/dock/link/binding.js';
import { MemoryBinding } from '../../protocol/dock/link/memory-binding.js';
import { SerialPortBinding } from '../../protocol/dock/link/serialport-binding.js';
import { dockBindingContract } from '../contract/dock-binding.contract.js';

const memory = new MemoryBinding();
let n = 0;
dockBindingContract('memory', {
  async connect() {
    const path = `mem${++n}`;
    const device = memory.pair(path);
    const gateway = await memory.open(path);
    return { gateway, device, unplug: async () => memory.unplug(path) };
  },
});

const serial = new SerialPortBinding();
const pairs: PtyPair[] = [];
afterAll(async () => {
  for (const p of pairs) await p.unplug();
});
/** The gateway end opened plainly, the device end with `device` options, over a fresh socat pair. */
function overPty(device: Partial<OpenOptions> = {}) {
  return {
    async connect() {
      const dir = await mkdtemp(join(tmpdir(), 'pty-'));
      const pair = await createPtyPair(join(dir, 'gw'), join(dir, 'dev'));
      pairs.push(pair);
      const gateway = await serial.open(pair.gatewayPath, { baudRate: 921600 });
      const dev = await serial.open(pair.devicePath, { baudRate: 921600, ...device });
      return { gateway, device: dev, unplug: () => pair.unplug() };
    },
  };
}
dockBindingContract('serialport over a socat PTY pair', overPty());
dockBindingContract(
  'serialport, device end writing through a blocking descriptor',
  overPty({ blockingWrites: true }),
);
