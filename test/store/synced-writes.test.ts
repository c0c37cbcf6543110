/**
 * Every LevelDB write an acknowledgement depends on is synced (docs/STATE.md, "Synced writes"):
 * a login's session, an account change, a recorder's registration and credential, an alert and its
 * acknowledgement, an interruption, and rows that ride an audit entry's batch (a pairing). Watched
 * at the real LevelDB's write calls of a running gateway, driven over HTTP where a route exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

interface Write {
  sublevel: string;
  sync: boolean;
}

/** `!users!zhang` -> users; nested sublevels (`!audit!!seq!...`) count as their outer one. */
const sublevelOf = (key: unknown): string => /^!([^!]+)!/.exec(String(key))?.[1] ?? '(root)';

let gw: TestGateway;
let legal: ApiClient;
const writes: Write[] = [];

beforeAll(async () => {
  gw = await startGateway();
  // biome-ignore lint/suspicious/noExplicitAny: classic-level's private write methods, spied on
  const db = gw.app.db as any;
  const put = db._put.bind(db);
  const del = db._del.bind(db);
  const batch = db._batch.bind(db);
  const sync = (o: { sync?: boolean } | undefined) => o?.sync === true;
  db._put = (k: unknown, v: unknown, o: { sync?: boolean }) => {
    writes.push({ sublevel: sublevelOf(k), sync: sync(o) });
    return put(k, v, o);
  };
  db._del = (k: unknown, o: { sync?: boolean }) => {
    writes.push({ sublevel: sublevelOf(k), sync: sync(o) });
    return del(k, o);
  };
  db._batch = (ops: { key: unknown }[], o: { sync?: boolean }) => {
    for (const op of ops) writes.push({ sublevel: sublevelOf(op.key), sync: sync(o) });
    return batch(ops, o);
  };
  legal = await gw.as(['legal-affairs', 'equipment-manager']);
}, 60_000);
afterAll(() => gw?.stop());

/** The writes to `sublevel` since `from`: at least one, and every one synced. */
function expectSynced(sublevel: string, from: number): void {
  const seen = writes.slice(from).filter((w) => w.sublevel === sublevel);
  expect(seen.length, `no write to ${sublevel}`).toBeGreaterThan(0);
  expect(
    seen.filter((w) => !w.sync),
    `unsynced writes to ${sublevel}`,
  ).toEqual([]);
}

describe('acknowledged state is written with sync', () => {
  it('a login, a logout and account changes', async () => {
    const from = writes.length;
    const officer = await gw.as('officer');
    expectSynced('sessions', from);
    expectSynced('users', from);
    const r = await legal.post(`/api/users/${officer.username}/roles`, { roles: ['officer', 'auditor'] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await officer.post('/api/logout');
    expectSynced('users', from);
    expectSynced('sessions', from);
  });

  it('a recorder registration and a new credential', async () => {
    const from = writes.length;
    const reg = await legal.post('/api/recorders', { serial: 'SYNC0001', model: 'X1' });
    expect(reg.status, JSON.stringify(reg.body)).toBe(200);
    const rot = await legal.post('/api/recorders/SYNC0001/credential');
    expect(rot.status, JSON.stringify(rot.body)).toBeLessThan(300);
    expectSynced('recorders', from);
  });

  it('an interruption and the alert it raises, and the acknowledgement', async () => {
    const from = writes.length;
    await gw.app.interruptions.open({
      source: 'recorder',
      device: 'SYNC0001',
      cause: 'fault',
      canContinue: false,
      start: Date.now(),
    });
    expectSynced('interruptions', from);
    expectSynced('alerts', from);
    const active = await gw.app.alerts.list({ active: true, limit: 10 });
    const ack = await legal.post(`/api/alerts/${active[0]?.id}/ack`);
    expect(ack.status, JSON.stringify(ack.body)).toBe(200);
    expectSynced('alerts', from);
  });

  it('rows committed with an audit entry when the caller asks (a pairing)', async () => {
    const from = writes.length;
    await gw.app.store.audit.append(
      { type: 'pairing', actor: 'test', subject: 'recorder:SYNC0001' },
      { ops: [{ type: 'put', key: 'probe', value: 1 }], sync: true },
    );
    expect(writes.slice(from).every((w) => w.sync)).toBe(true);
    expect(writes.length).toBeGreaterThan(from);
  });
});
