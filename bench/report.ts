/**
 * `npm run bench -- report [--clips N] [--sessions N] [--officers N] [--rounds R] [--requests Q]`:
 * the R26 compliance report and the R7 summary for one month of one unit (issue goals: the report
 * < 10 s, the summary API p99 < 200 ms).
 *
 * Setup (timed apart as `seed_s`): a fresh LevelDB holding N clips (default 1,000,000) in the
 * clip index with all its secondary keys, written as the store writes them (one batch per record
 * set, `ClipIndex.opsFor`), 50,000 recorder sessions of 200 officers on 200 recorders over
 * November 2026, interruptions and a few breaches of each kind; no blobs (the report reads the
 * index, never the originals). Then the real gateway is started on it and its clip digest (the
 * compact per-session, per-day rows the report reads) is built from the index, timed as
 * `digest_build_s` (what an upgrade or `gateway reindex` costs once; afterwards each clip change
 * re-digests its one session).
 *
 * Rounds, interleaved (R = 3): A = the whole report (`compliance.report(month, fresh)`: collect
 * from LevelDB + completeness + five breach rules + statistics); B = what reading every clip record
 * of the month costs (a plain scan through the time index, nothing computed: the floor before the
 * digest). Both warm (one untimed scan first).
 *
 * Summary: Q (500) sequential GET /api/compliance/summary over HTTP with a session, served
 * precomputed; a fresh recompute of the month is started in the background halfway through, so
 * the figure includes a request that meets the recompute (its longest is `summary_max_ms`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GatewayApp } from '../gateway/app.js';
import { DAY, HOUR } from '../gateway/compliance/facts.js';
import { monthPeriod } from '../gateway/compliance/period.js';
import { prng } from '../gateway/compliance/seed.js';
import { parseConfig } from '../gateway/config.js';
import { openDb } from '../gateway/db.js';
import { RecorderRegistry } from '../gateway/fleet/registry.js';
import type { InterruptionRecord } from '../gateway/interruptions/record.js';
import type { SessionRecord } from '../gateway/interruptions/sessions.js';
import { createLogger } from '../gateway/log.js';
import { ClipIndex } from '../gateway/store/clip-index.js';
import type { BatchOp } from '../gateway/store/keys.js';
import type { ClipRecord } from '../gateway/store/schema.js';
import type { Activity, Officer } from '../protocol/common.js';
import { fields, interleave, machine, round2, spread } from './lib/rounds.js';

const { values } = parseArgs({
  options: {
    clips: { type: 'string', default: '1000000' },
    sessions: { type: 'string', default: '50000' },
    officers: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '500' },
  },
});
const nClips = Number(values.clips);
const nSessions = Number(values.sessions);
const nOfficers = Number(values.officers);
const rounds = Number(values.rounds);
const nRequests = Number(values.requests);
const MONTH = '2026-11';
const period = monthPeriod(MONTH);
const m = machine();

const dataDir = await mkdtemp(join(tmpdir(), 'bench-report-'));
const log = createLogger({ level: 'silent' });
const config = parseConfig({
  dataDir,
  logLevel: 'silent',
  mqtt: { port: 0, host: '127.0.0.1' },
  http: { port: 0, host: '127.0.0.1' },
  dock: { ports: [] },
  demo: { historyDays: 0 },
  compliance: { monthlyReport: false, refreshS: 3600 },
});

// ---- seed ---------------------------------------------------------------------------------------
const tSeed = performance.now();
{
  const db = await openDb(join(dataDir, 'index'));
  const registry = new RecorderRegistry({ db, now: () => period.from - 90 * DAY });
  await registry.start();
  const officers: Officer[] = [];
  for (let i = 0; i < nOfficers; i++) {
    officers.push({ id: `zf${i}`, name: `执法${i}`, certNo: `ZF${100000 + i}` });
    await registry.register(
      { serial: `BC${i}`, unit: `第${(i % 4) + 1}执法处`, custodian: `em${i % 3}` },
      'bench',
    );
  }
  const index = new ClipIndex(db);
  const sessionsDb = db.sublevel<string, SessionRecord>('recorder-sessions', { valueEncoding: 'json' });
  const intDb = db.sublevel<string, InterruptionRecord>('interruptions', { valueEncoding: 'json' });
  const rnd = prng(2026);
  const acts: Activity[] = ['seizure', 'on-site-enforcement', 'inspection', 'inquiry', 'preservation'];
  const perSession = Math.max(1, Math.floor(nClips / nSessions));
  const span = period.to - period.from - 2 * DAY;
  const sha = 'ab'.repeat(32);
  let ops: BatchOp[] = [];
  const flush = async () => {
    if (ops.length) await db.batch(ops as never);
    ops = [];
  };
  let written = 0;
  for (let s = 0; s < nSessions; s++) {
    const oi = s % nOfficers;
    const off = officers[oi]!;
    const serial = `BC${oi}`;
    const sessionId = `S${s}`;
    const clipsHere =
      s === nSessions - 1 ? Math.max(0, nClips - written) : Math.min(perSession, nClips - written);
    const start = period.from + Math.floor(rnd() * span);
    const segMs = 3 * 60_000;
    // Breaches sprinkled: a late start every 400th, an upload 30 h late every 997th clip,
    // an unexplained interruption every 500th session.
    const lateStart = s % 400 === 0 ? 6 * 60_000 : 2000;
    const end = start + lateStart + clipsHere * segMs + 2000;
    const activity = acts[s % acts.length]!;
    for (let c = 0; c < clipsHere; c++) {
      const cs = start + lateStart + c * segMs;
      const ce = cs + segMs;
      const late = (written + c) % 997 === 0;
      const rec: ClipRecord = {
        clipId: `${serial}-${sessionId}-${c}`,
        source: { kind: 'recorder', id: serial },
        sessionId,
        officer: off,
        activity,
        start: cs,
        end: ce,
        bytes: 50_000_000,
        sha256: sha,
        markers: [],
        state: 'verified',
        deadline: ce + DAY,
        uploadedBytes: 50_000_000,
        ingestedAt: new Date(ce + (late ? 30 * HOUR : 4 * HOUR)).toISOString(),
        blob: `blobs/ab/${sha}`,
      };
      ops.push(...index.opsFor(undefined, rec));
    }
    written += clipsHere;
    const ints: SessionRecord['interruptions'] = [];
    if (s % 500 === 0) {
      const id = `int-${s}`;
      const at = start + 20 * 60_000;
      ints.push({ id, cause: 'battery', start: at });
      const r: InterruptionRecord = {
        id,
        source: 'recorder',
        device: serial,
        roomId: null,
        officer: off,
        sessionId,
        cause: 'battery',
        canContinue: true,
        start: at,
        end: at + 60_000,
        resumed: true,
        resumeStatement: s % 1000 !== 0,
        resumeStatementAt: null,
        status: 'open',
        explanation: null,
        history: [],
        review: null,
        alerts: [],
        openedAt: new Date(at).toISOString(),
        updatedAt: new Date(at).toISOString(),
      };
      ops.push({ type: 'put', sublevel: intDb as never, key: id, value: r });
    }
    const sr: SessionRecord = {
      serial,
      sessionId,
      activity,
      caseNo: null,
      officerId: off.id,
      officer: off,
      requirement: config.recordingList[activity] ?? 'unlisted',
      startedAt: start,
      endedAt: end,
      recording: false,
      noticeGiven: true,
      noticeAt: start + 10_000,
      statements: 1,
      segments: clipsHere,
      bytes: clipsHere * 50_000_000,
      firstSegmentStart: start + lateStart,
      lastSegmentEnd: end - 2000,
      flags: [],
      interruptions: ints,
      updatedAt: new Date(end).toISOString(),
    };
    ops.push({ type: 'put', sublevel: sessionsDb as never, key: `${serial}!${sessionId}`, value: sr });
    if (ops.length > 20_000) await flush();
  }
  await flush();
  await db.close();
}
const seedS = (performance.now() - tSeed) / 1000;
const progress = (what: string) => process.stderr.write(`report bench: ${what}\n`);
progress(`seeded ${nClips} clips in ${seedS.toFixed(1)} s`);

// ---- the gateway on it --------------------------------------------------------------------------
const app = new GatewayApp({ config, log });
await app.start();
const tDigest = performance.now();
await app.clipDigest.refresh();
const digestS = (performance.now() - tDigest) / 1000;
progress(`digest built in ${digestS.toFixed(1)} s`);
const scan = async () => {
  let n = 0;
  for await (const _ of app.store.index.eachByTime({ from: period.from - 2 * DAY, to: period.to })) n++;
  return n;
};
const scanned = await scan(); // warm, untimed
progress('warm scan done');
const timed = (fn: () => Promise<unknown>) => async () => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};
let lastReport: Awaited<ReturnType<typeof app.compliance.report>> | undefined;
const r = await interleave(rounds, {
  report: timed(async () => {
    lastReport = await app.compliance.report(MONTH, { fresh: true });
  }),
  scan: timed(scan),
});

progress(`report rounds: ${r.report.map((x) => x.toFixed(1)).join(' ')} s`);
// ---- summary over HTTP --------------------------------------------------------------------------
await app.users.add(
  { username: 'bench', displayName: '基准', roles: ['principal'], password: 'bench-password-1' },
  'bench',
);
const base = `http://127.0.0.1:${app.httpPort}`;
const login = await fetch(`${base}/api/login`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'bench', password: 'bench-password-1' }),
});
const { token } = (await login.json()) as { token: string };
const lat: number[] = [];
let bg: Promise<unknown> | undefined;
for (let i = 0; i < nRequests; i++) {
  if (i === nRequests >> 1) bg = app.compliance.report(MONTH, { fresh: true });
  const t = performance.now();
  const res = await fetch(`${base}/api/compliance/summary?month=${MONTH}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`summary ${res.status}`);
  lat.push(performance.now() - t);
}
await bg;
lat.sort((a, b) => a - b);
const q = (p: number) => round2(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]!);
await app.stop();
await rm(dataDir, { recursive: true, force: true });

const rep = spread(r.report);
console.log(
  JSON.stringify({
    bench: 'report',
    clips: nClips,
    sessions: nSessions,
    officers: nOfficers,
    clips_scanned: scanned,
    breaches: lastReport?.breaches.length ?? null,
    seed_s: round2(seedS),
    digest_build_s: round2(digestS),
    report_s: round2(rep.median),
    ...fields('report_s', r.report),
    ...fields('scan_s', r.scan),
    report_over_scan: round2(rep.median / spread(r.scan).median),
    summary_requests: nRequests,
    summary_p50_ms: q(0.5),
    summary_p99_ms: q(0.99),
    summary_max_ms: round2(lat.at(-1)!),
    rounds,
    ...m,
    goals: { report_s: 10, summary_p99_ms: 200 },
  }),
);
process.exit(0);
