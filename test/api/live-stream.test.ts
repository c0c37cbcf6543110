import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PENDING_SSE } from '../../gateway/api/server.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

describe('live event stream (SSE)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.stop());

  it('streams bus events to a signed-in client', async () => {
    const c = await gw.as('principal');
    const res = await fetch(`${gw.url}/api/events`, { headers: { authorization: `Bearer ${c.token}` } });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const first = await reader.read();
    text += new TextDecoder().decode(first.value);
    gw.app.bus.emit('alert.cleared', { id: 'a1', rule: 'battery-low', subject: 'BC0001' });
    while (!text.includes('alert.cleared')) {
      const r = await reader.read();
      if (r.done) break;
      text += new TextDecoder().decode(r.value);
    }
    expect(text).toContain('event: alert.cleared');
    expect(text).toContain('"subject":"BC0001"');
    await reader.cancel();
  });

  it('gives each role only the events its duty needs (R24)', async () => {
    const read = async (role: 'officer' | 'hearing-staff' | 'equipment-manager') => {
      const c = await gw.as(role);
      const res = await fetch(`${gw.url}/api/events`, { headers: { authorization: `Bearer ${c.token}` } });
      const reader = res.body!.getReader();
      await reader.read(); // hello
      return { reader, text: '' };
    };
    const clients = {
      officer: await read('officer'),
      staff: await read('hearing-staff'),
      mgr: await read('equipment-manager'),
    };
    const bus = gw.app.bus;
    bus.emit('recorder.online', { serial: 'BC0009', online: true, at: new Date().toISOString() });
    bus.emit('dock.changed', { slot: '/dev/ttyACM0', serial: 'BC0009', state: 'ready' });
    bus.emit('hearing.changed', { sessionId: 'h1', roomId: 'room-1', state: 'recording' });
    bus.emit('interruption.opened', {
      id: 'i1',
      source: 'recorder',
      device: 'BC0009',
      cause: 'battery',
      sessionId: 's1',
    });
    bus.emit('interruption.opened', {
      id: 'i2',
      source: 'camera',
      device: 'cam1',
      cause: 'stream-lost',
      sessionId: 'h1',
    });
    bus.emit('alert.raised', {
      id: 'a9',
      at: new Date().toISOString(),
      severity: 'critical',
      rule: 'interruption-unresumed',
      subject: 'cam1',
      message: 'stream lost',
      notify: ['principal', 'hearing-staff'],
    });
    bus.emit('clip.stored', { clipId: 'END', sha256: 'x', source: 'recorder' });
    bus.emit('hearing.segment', { sessionId: 'END', clipId: 'c', bytes: 1 });
    const until = async (
      c: { reader: ReadableStreamDefaultReader<Uint8Array>; text: string },
      end: string,
    ) => {
      while (!c.text.includes(end)) {
        const r = await c.reader.read();
        if (r.done) break;
        c.text += new TextDecoder().decode(r.value);
      }
      await c.reader.cancel();
      return c.text;
    };
    const officer = await until(clients.officer, '"clipId":"END"');
    const staff = await until(clients.staff, '"sessionId":"END"');
    const mgr = await until(clients.mgr, '"sessionId":"END"');
    expect(officer).toContain('event: dock.changed');
    expect(officer).not.toContain('recorder.online');
    expect(officer).not.toContain('interruption.opened');
    expect(officer).not.toContain('alert.raised');
    expect(staff).toContain('event: hearing.changed');
    expect(staff).toContain('"id":"i2"');
    expect(staff).not.toContain('"id":"i1"');
    expect(staff).toContain('"id":"a9"');
    expect(staff).not.toContain('dock.changed');
    expect(mgr).toContain('recorder.online');
    expect(mgr).toContain('"id":"i1"');
  });

  it('cuts off a client that stops reading instead of buffering without bound', async () => {
    const c = await gw.as('auditor');
    const before = gw.app.bus.anyListenerCount;
    const req = request(`${gw.url}/api/events`, { headers: { authorization: `Bearer ${c.token}` } });
    const opened = new Promise<void>((resolve) =>
      req.once('response', (res) => {
        res.pause(); // never read
        resolve();
      }),
    );
    req.once('error', () => {});
    req.end();
    await opened;
    while (gw.app.bus.anyListenerCount === before) await new Promise((r) => setTimeout(r, 20));
    const big = 'x'.repeat(8192);
    for (let i = 0; i < MAX_PENDING_SSE * 4 && gw.app.bus.anyListenerCount > before; i++) {
      gw.app.bus.emit('alert.cleared', { id: `a${i}`, rule: big, subject: 'BC0001' });
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    // The server dropped the slow client and its subscription.
    expect(gw.app.bus.anyListenerCount).toBe(before);
    req.destroy();
  });
});
