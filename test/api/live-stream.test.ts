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
