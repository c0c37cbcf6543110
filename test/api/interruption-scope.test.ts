import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

describe('interruption records are scoped by duty (R24)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.stop());

  it('an officer sees and explains only their own; hearing staff only the cameras; supervisors all', async () => {
    const alice = await gw.as('officer');
    const bob = await gw.as('officer');
    const staff = await gw.as('hearing-staff');
    const legal = await gw.as('legal-affairs');
    const now = Date.now() - 60_000;
    const officer = (id: string) => ({ id, name: `警员${id}`, certNo: `ZF${id.length}0001` });
    const mine = await gw.app.interruptions.open({
      source: 'recorder',
      device: 'BC0001',
      cause: 'battery',
      start: now,
      officer: officer(alice.username),
    });
    const theirs = await gw.app.interruptions.open({
      source: 'recorder',
      device: 'BC0002',
      cause: 'obstruction',
      start: now,
      officer: officer(bob.username),
    });
    const cam = await gw.app.interruptions.open({
      source: 'camera',
      device: 'cam1',
      cause: 'stream-lost',
      start: now,
    });

    const ids = async (c: typeof alice) =>
      ((await c.get('/api/interruptions')).body as { id: string }[]).map((r) => r.id);
    expect(await ids(alice)).toEqual([mine.id]);
    expect(await ids(staff)).toEqual([cam.id]);
    expect((await ids(legal)).sort()).toEqual([mine.id, theirs.id, cam.id].sort());

    expect((await alice.get(`/api/interruptions/${theirs.id}`)).status).toBe(404);
    expect((await alice.post(`/api/interruptions/${theirs.id}/explain`, { text: '不是我的' })).status).toBe(
      404,
    );
    expect((await staff.post(`/api/interruptions/${mine.id}/explain`, { text: 'x' })).status).toBe(404);
    const ok = await alice.post(`/api/interruptions/${mine.id}/explain`, {
      text: '电池耗尽，已更换设备后继续记录',
    });
    expect(ok.status).toBe(200);
    expect((await gw.app.interruptions.get(theirs.id))?.explanation ?? null).toBeNull();
  });
});
