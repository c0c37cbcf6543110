/**
 * Stopping the gateway while recorder events still arrive (R19): every interruption whose event the
 * broker acknowledged is on record after a restart, and no service writes the audit log after the
 * store has closed it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { Service } from '../../gateway/events.js';
import { connectRecorder, register } from '../broker/mqtt-helpers.js';
import { startGateway } from '../helpers/gateway.js';

let dataDir = '';
afterAll(() => rm(dataDir, { recursive: true, force: true }));

it('keeps every acknowledged interruption when events arrive while stop() runs', async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gw-shutdown-'));
  const gw = await startGateway({ dataDir });
  const r = await connectRecorder(gw, 'SD-1', await register(gw, 'SD-1'));
  const T0 = Date.now() - 600_000;
  const acked: string[] = [];
  let n = 0;
  let gone = false;
  // An R19 stop (cannot continue) arrives just before each service stops.
  for (const s of gw.app.services as Service[]) {
    const stop = s.stop.bind(s);
    s.stop = async () => {
      if (!gone) {
        const i = n++;
        const id = `SD-1-late-${i}`;
        const sent = r
          .event({
            id,
            type: 'recording-stopped',
            sessionId: `S-${i}`,
            cause: 'battery',
            canContinue: false,
            at: T0 + i * 1000,
          })
          .then(
            () => true,
            () => false,
          );
        // Not a timing assertion: an event the broker no longer answers is simply not acknowledged.
        const ok = await Promise.race([sent, new Promise<boolean>((res) => setTimeout(res, 1000, false))]);
        if (ok) acked.push(id);
        else gone = true;
      }
      await stop();
    };
  }
  await gw.app.stop();
  await r.end().catch(() => {});
  expect(acked.length).toBeGreaterThan(0);
  // A caller that outlived the shutdown is refused plainly, not written to a closed log.
  await expect(
    gw.app.interruptions.open({
      source: 'recorder',
      device: 'SD-1',
      cause: 'battery',
      canContinue: true,
      start: T0,
    }),
  ).rejects.toMatchObject({ code: 'UNAVAILABLE' });

  const again = await startGateway({ dataDir });
  try {
    const kept = new Set(
      (await again.app.interruptions.list({ limit: 1000 })).map((x) => String(x.details?.eventId)),
    );
    expect(acked.filter((id) => !kept.has(id))).toEqual([]);
  } finally {
    await again.app.stop();
  }
});
