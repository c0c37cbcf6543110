import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CephCluster, skipWithoutCeph, startCeph } from '../helpers/ceph.js';

describe.skipIf(skipWithoutCeph('ceph-smoke'))('ceph', () => {
  let ceph: CephCluster;
  beforeAll(async () => {
    const t = Date.now();
    ceph = await startCeph();
    console.log('ceph up ms', Date.now() - t);
  }, 120_000);
  afterAll(async () => ceph?.stop());
  it('answers', async () => {
    const r = await fetch(ceph.endpoint);
    expect(r.status).toBeGreaterThan(0);
  });
});
