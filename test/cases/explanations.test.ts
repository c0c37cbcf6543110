/**
 * R19 "explain in writing afterwards", over real HTTP: the officer who held the recorder explains,
 * legal affairs review, the principal closes; nobody approves text they wrote (SELF_APPROVAL at the
 * review and at the close), and each step is an audit entry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, startGateway, type TestGateway } from '../helpers/gateway.js';

let gw: TestGateway;
let alice: ApiClient;
let legal: ApiClient;
let legal2: ApiClient;
let principal: ApiClient;
/** Both offices in one account: may review or close, never both for one record. */
let both: ApiClient;

beforeAll(async () => {
  gw = await startGateway();
  alice = await gw.as('officer');
  legal = await gw.as('legal-affairs');
  legal2 = await gw.as('legal-affairs');
  principal = await gw.as('principal');
  both = await gw.as(['legal-affairs', 'principal']);
});

afterAll(async () => {
  await gw?.stop();
});

async function ended(officerId: string, device: string) {
  const at = Date.now() - 3600_000;
  const r = await gw.app.interruptions.open({
    source: 'recorder',
    device,
    cause: 'obstruction',
    start: at,
    end: at + 120_000,
    officer: { id: officerId, name: '执法员甲', certNo: 'ZF-0001' },
  });
  expect(r.heldBy).toBe(officerId);
  return r.id;
}

const url = (id: string, step: string) => `/api/interruptions/${id}/${step}`;

describe('officer explains, legal affairs review, the principal closes', () => {
  it('runs the three steps, each by a different person', async () => {
    const id = await ended(alice.username, 'BC-E1');
    // Nothing to review or close before the officer has written.
    expect((await legal.post(url(id, 'review'), { accept: true })).status).toBe(409);
    expect((await alice.post(url(id, 'explain'), { text: '当事人阻挠，记录仪被推落' })).body).toMatchObject({
      status: 'explained',
      explanation: { author: alice.username },
    });
    // The principal cannot close before the review; an officer cannot review.
    expect((await principal.post(url(id, 'close'), {})).status).toBe(409);
    expect((await alice.post(url(id, 'review'), { accept: true })).status).toBe(403);

    // Returned: the text goes to history and the officer writes again.
    const returned = await legal.post(url(id, 'review'), { accept: false, note: '请写明恢复时间' });
    expect(returned.body).toMatchObject({
      status: 'open',
      explanation: null,
      review: { verdict: 'returned' },
    });
    expect(returned.body.history).toHaveLength(1);
    await alice.post(url(id, 'explain'), { text: '当事人阻挠，2分钟后恢复记录并口述原因' });
    expect((await legal.post(url(id, 'review'), { accept: true })).body).toMatchObject({
      status: 'reviewed',
    });
    // Reviewed text is fixed until closed.
    expect((await alice.post(url(id, 'explain'), { text: '改' })).status).toBe(409);
    const closed = await principal.post(url(id, 'close'), { note: '已移送公安' });
    expect(closed.body).toMatchObject({
      status: 'closed',
      closure: { by: principal.username, note: '已移送公安' },
      review: { by: legal.username, verdict: 'accepted' },
      heldBy: alice.username,
    });

    const steps = (await legal.get(`/api/audit?subject=${encodeURIComponent(`interruption:${id}`)}`))
      .body as {
      type: string;
      actor: string;
      details: { action: string };
    }[];
    // Each state of the record is also journaled (`interruption`, by the gateway); the people's steps:
    const people = steps.filter((e) => e.type !== 'interruption');
    expect(people.map((e) => [e.details.action, e.actor]).reverse()).toEqual([
      ['explain', alice.username],
      ['review', legal.username],
      ['explain', alice.username],
      ['review', legal.username],
      ['close', principal.username],
    ]);
  });

  it('refuses self-approval at the review and at the close', async () => {
    // Legal affairs wrote the text themself (the holder was away): another one must review it.
    const id = await ended(alice.username, 'BC-E2');
    await legal.post(url(id, 'explain'), { text: '执法员休假，由法规处代为说明' });
    const self = await legal.post(url(id, 'review'), { accept: true });
    expect(self.status).toBe(403);
    expect(self.body.error).toMatchObject({ code: 'SELF_APPROVAL', details: { step: 'review' } });
    expect((await legal2.post(url(id, 'review'), { accept: true })).status).toBe(200);

    // One account holding both offices: reviews, then may not also close.
    const id2 = await ended(alice.username, 'BC-E3');
    await alice.post(url(id2, 'explain'), { text: '暴雨，设备进水' });
    expect((await both.post(url(id2, 'review'), { accept: true })).status).toBe(200);
    const twice = await both.post(url(id2, 'close'), {});
    expect(twice.status).toBe(403);
    expect(twice.body.error).toMatchObject({ code: 'SELF_APPROVAL', details: { step: 'close' } });
    expect((await principal.post(url(id2, 'close'), {})).body).toMatchObject({ status: 'closed' });

    // The principal wrote it: reviewed by legal affairs, but never closed by its author.
    const id3 = await ended(alice.username, 'BC-E4');
    await both.post(url(id3, 'explain'), { text: '局长代为说明' });
    await legal.post(url(id3, 'review'), { accept: true });
    const author = await both.post(url(id3, 'close'), {});
    expect(author.body.error).toMatchObject({ code: 'SELF_APPROVAL', details: { step: 'close' } });
    expect((await principal.post(url(id3, 'close'), {})).status).toBe(200);
  });
});
