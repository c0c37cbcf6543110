/**
 * The contract every DockBinding must pass (abstract-level style): bytes arrive intact and in order,
 * back-pressure is honoured, and a close says whether it was intended or the link was lost.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CloseInfo, DockPort } from '../../protocol/dock/link/binding.js';

export interface BindingFixture {
  /** Opens the gateway end through the binding under test, and a device end to talk to it. */
  connect(): Promise<{ gateway: DockPort; device: DockPort; unplug(): Promise<void> }>;
}

function collect(port: DockPort, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let got = 0;
    port.onData((c) => {
      parts.push(Buffer.from(c));
      got += c.byteLength;
      if (got >= n) resolve(Buffer.concat(parts));
    });
  });
}

const closed = (port: DockPort) => new Promise<CloseInfo>((r) => port.onClose(r));

export function dockBindingContract(name: string, fixture: BindingFixture): void {
  describe(`DockBinding contract: ${name}`, () => {
    it('carries bytes both ways intact and in order', async () => {
      const { gateway, device } = await fixture.connect();
      const a = randomBytes(200_000);
      const b = randomBytes(50_000);
      const gotA = collect(device, a.length);
      const gotB = collect(gateway, b.length);
      for (let i = 0; i < a.length; i += 4096) await gateway.write(a.subarray(i, i + 4096));
      await device.write(b);
      expect((await gotA).equals(a)).toBe(true);
      expect((await gotB).equals(b)).toBe(true);
      await gateway.close();
      await device.close();
    });

    it('reports an intended close as intended', async () => {
      const { gateway, device } = await fixture.connect();
      const info = closed(gateway);
      await gateway.close();
      expect((await info).intended).toBe(true);
      expect(gateway.isOpen).toBe(false);
      await device.close();
    });

    it('reports a lost link as not intended, and refuses writes after', async () => {
      const { gateway, device, unplug } = await fixture.connect();
      const info = closed(gateway);
      await unplug();
      expect((await info).intended).toBe(false);
      await expect(gateway.write(new Uint8Array([1]))).rejects.toThrow();
      await device.close().catch(() => {});
    });
  });
}
