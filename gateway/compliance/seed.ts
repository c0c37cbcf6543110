/**
 * A month of office history for the demo (`npm start`), made in virtual time and reproducible from
 * a seed: recorders registered and maintained, officers' shifts of sessions with their clips
 * uploaded through the real store (each original a real blob with its sidecar and `ingest` entry,
 * at the virtual time of the upload), interruptions with explanations, faults, cases moving
 * through their stages with recordings linked — and a few breaches of each R26 kind, so the
 * summary page, the timeline and the report have something to say on first open.
 *
 * Runs on a fresh data dir before the gateway starts (its own instances of the store, alerts,
 * registry, maintenance log and case registry over the same LevelDB, each on the virtual clock).
 * Sessions and interruption records are written as the session tracker and the interruption
 * service store them (sublevels `recorder-sessions`, `interruptions`).
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Activity, Officer } from '../../protocol/common.js';
import { AlertService } from '../alerts/service.js';
import { CaseService } from '../cases/service.js';
import type { GatewayConfig } from '../config.js';
import { openDb, timeSortableId } from '../db.js';
import { EventBus } from '../events.js';
import { MaintenanceLog } from '../fleet/maintenance.js';
import { RecorderRegistry } from '../fleet/registry.js';
import type { HearingSession } from '../hearings/schemas.js';
import type { InterruptionRecord } from '../interruptions/record.js';
import type { SessionRecord } from '../interruptions/sessions.js';
import type { Logger } from '../log.js';
import { ClipStore } from '../store/index.js';
import { DAY, HOUR } from './facts.js';
import { seedHearing } from './seed-hearings.js';

export const DEMO_UNITS = ['综合执法处', '行政许可处'] as const;
const MIN = 60_000;
const BUCKET_MS = HOUR;
const SURNAMES = '李王张刘陈杨黄赵周吴徐孙马朱胡郭何高林罗';
const GIVEN = '明华强伟芳敏静丽军勇杰涛磊洋艳娟';
const ACTIVITIES: Activity[] = [
  'seizure',
  'on-site-enforcement',
  'inspection',
  'inquiry',
  'evidence-collection',
  'preservation',
];

/** mulberry32: small, fast, and the same sequence from the same seed everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface DemoOfficer extends Officer {
  serial: string;
  unit: string;
}

/** Officer i carries recorder BC000i; the first is the demo's `officer` login (its "my recordings"). */
export function demoOfficers(n: number, rnd: () => number): DemoOfficer[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i === 0 ? 'officer' : `zf${String(i + 1).padStart(3, '0')}`,
    name:
      i === 0
        ? '李执法'
        : `${SURNAMES[Math.floor(rnd() * SURNAMES.length)]}${GIVEN[Math.floor(rnd() * GIVEN.length)]}`,
    certNo: `ZF${String(44_000 + i * 7).padStart(6, '0')}`,
    serial: `BC${String(i + 1).padStart(4, '0')}`,
    unit: DEMO_UNITS[i % DEMO_UNITS.length]!,
  }));
}

export interface SeedOptions {
  seed: number;
  days: number;
  officers: number;
  /** End of the history (real now): the month runs up to it. */
  end: number;
  log: Logger;
  /** False: the same office with no breach at all (the report must then say nothing). */
  breaches?: boolean;
}

export interface SeedResult {
  sessions: number;
  hearings: number;
  clips: number;
  interruptions: number;
  cases: number;
  ms: number;
}

type Step = { at: number; run: () => Promise<unknown> };

/** Seeds `config.dataDir` (fresh) with the history; returns what it made. */
export async function seedHistory(config: GatewayConfig, o: SeedOptions): Promise<SeedResult> {
  const t0 = performance.now();
  const dataDir = config.dataDir;
  const db = await openDb(join(dataDir, 'index'));
  let clock = o.end - o.days * DAY;
  const now = () => clock;
  const log = o.log;
  const bus = new EventBus(log);
  const store = new ClipStore({ root: join(dataDir, 'store'), db, bus, log, now });
  await store.start();
  const audit = (e: Parameters<typeof store.audit.append>[0]) => store.audit.append(e);
  const alerts = new AlertService({ db, bus, log, now });
  await alerts.start();
  const registry = new RecorderRegistry({ db, now, audit });
  await registry.start();
  const maintenance = new MaintenanceLog(db, now);
  const sessionsDb = db.sublevel<string, SessionRecord>('recorder-sessions', { valueEncoding: 'json' });
  const intDb = db.sublevel<string, InterruptionRecord>('interruptions', { valueEncoding: 'json' });
  const hearingsDb = db.sublevel<string, HearingSession>('hearings', { valueEncoding: 'json' });
  const cases = new CaseService({
    db,
    audit,
    config: config.cases,
    timeZone: config.timeZone,
    log,
    now,
    facts: {
      session: (serial, id) => sessionsDb.get(`${serial}!${id}`),
      hearing: (id) => hearingsDb.get(id),
      clip: (id) => store.index.get(id),
      clockOffset: async () => 0,
      displayName: async (u) => u,
    },
  });
  await cases.start();
  const tmp = join(dataDir, 'seed-tmp');
  await mkdir(tmp, { recursive: true });

  const rnd = prng(o.seed);
  const officers = demoOfficers(o.officers, rnd);
  // Office midnights (UTC+8): days start at 00:00 Beijing time.
  const start = (Math.floor((o.end + 8 * HOUR) / DAY) - o.days) * DAY - 8 * HOUR;
  const steps: Step[] = [];
  const at = (t: number, run: () => Promise<unknown>) => steps.push({ at: t, run });
  const legal = { username: 'legalaffairs', roles: ['legal-affairs'] as const };
  const manager = 'equipmentmanager';
  let nSessions = 0;
  let nClips = 0;
  let nInt = 0;

  // Recorders registered two months before, inspected at the start of the history.
  clock = start - 60 * DAY;
  for (const off of officers) {
    await registry
      .register({ serial: off.serial, model: 'ZFJLY-S1', unit: off.unit, custodian: manager }, 'demo')
      .catch(() => {});
    await maintenance.add(
      off.serial,
      { kind: 'inspection', text: '月度检查：电池、镜头、存储正常', at: start - 20 * DAY },
      manager,
    );
  }

  // Cases: one per pair of officers, moving through their stages over the month.
  const caseNos: string[] = [];
  const caseOf = new Map<string, string>();
  for (let i = 0; i < Math.ceil(officers.length / 2); i++) {
    const no = `ZF-2026-${String(101 + i).padStart(4, '0')}`;
    caseNos.push(no);
    const team = officers.slice(i * 2, i * 2 + 2);
    for (const t of team) caseOf.set(t.id, no);
    at(start + i * HOUR, () =>
      cases.create(legal, {
        caseNo: no,
        type: i % 3 === 0 ? 'licensing' : 'penalty',
        title: ['无证经营广播电视设备案', '违规接收卫星电视案', '擅自设立有线电视站案', '未按规定播出广告案'][
          i % 4
        ]!,
        unit: team[0]!.unit,
        officers: team.map((t) => t.id),
        parties: [`某某${['文化', '传媒', '电子', '科技'][i % 4]}有限公司`],
        stage: 'investigation',
      }),
    );
    // Half the cases reach review halfway through the month.
    if (i % 2 === 0)
      at(start + Math.floor(o.days / 2) * DAY, () =>
        cases.moveStage(legal, no, { stage: 'review-decision' }),
      );
  }
  // Hearings (听证) of the cases in review, in the hearing rooms, a few days after they got there.
  let nHearings = 0;
  const rooms = config.demo.cameras;
  // Its own random sequence: the rest of the month stays what the seed made before hearings.
  const hrnd = prng(o.seed + 1);
  const hctx = { db, store, cases, tmp, rnd: hrnd, at, rooms };
  for (const [k, no] of caseNos.filter((_, i) => i % 2 === 0).entries()) {
    if (rooms === 0) break;
    let d = Math.floor(o.days / 2) + 2 + k;
    while ([0, 6].includes(new Date(start + d * DAY + 8 * HOUR).getUTCDay())) d++;
    if (d > o.days - 2) break;
    const hStart = start + d * DAY + 14 * HOUR + Math.floor(hrnd() * 30) * MIN;
    nClips += seedHearing(hctx, {
      caseNo: no,
      room: (k % rooms) + 1,
      start: hStart,
      minutes: 50 + Math.floor(hrnd() * 40),
      streamLoss: k === 0,
    });
    nHearings++;
  }
  const withBreaches = o.breaches ?? true;
  // A case with no recording at all, moved on: breach (1), case stage with no recording.
  const bare = 'ZF-2026-0199';
  if (withBreaches) {
    at(start + 2 * HOUR, () =>
      cases.create(legal, {
        caseNo: bare,
        type: 'penalty',
        title: '擅自转播境外节目案',
        unit: DEMO_UNITS[0],
        officers: [officers[1 % officers.length]!.id],
        parties: ['某某宾馆'],
        stage: 'investigation',
      }),
    );
    at(start + 9 * DAY, () => cases.moveStage(legal, bare, { stage: 'review-decision' }));
  }

  // Breach plan: the first session of officer `oi` on or after `day` gets `kind` (by the seed).
  type Special = 'unrecorded-start' | 'no-clips' | 'late' | 'never' | 'unexplained' | 'fault';
  const plan: { oi: number; day: number; kind: Special; used: boolean }[] = [];
  const pick = () => Math.floor(rnd() * officers.length);
  if (withBreaches) {
    for (const [day, kind] of [
      [3, 'unrecorded-start'],
      [11, 'unrecorded-start'],
      [6, 'no-clips'],
      [4, 'late'],
      [9, 'late'],
      [16, 'late'],
      [Math.max(2, o.days - 6), 'never'],
      [5, 'unexplained'],
      [13, 'unexplained'],
    ] as const)
      plan.push({ oi: pick(), day, kind, used: false });
    plan.push({ oi: Math.min(2, officers.length - 1), day: 10, kind: 'fault', used: false });
  }
  const take = (oi: number, d: number): Special | null => {
    const p = plan.find((x) => !x.used && x.oi === oi && d >= x.day);
    if (!p) return null;
    p.used = true;
    return p.kind;
  };
  const faulty = officers[Math.min(2, officers.length - 1)]!;
  // A fault on `faulty` ignored from day 8; a fault interruption on day 10 loses recording: breach (2).
  if (withBreaches)
    at(start + 8 * DAY + 10 * HOUR, () =>
      alerts.raise({
        rule: 'recorder-fault',
        subject: `${faulty.serial}/lens`,
        severity: 'warning',
        message: `Recorder ${faulty.serial}: fault lens: 镜头模糊`,
        details: { serial: faulty.serial, code: 'lens', at: start + 8 * DAY + 10 * HOUR },
      }),
    );
  if (withBreaches)
    at(start + 14 * DAY + 9 * HOUR, async () => {
      await maintenance.add(faulty.serial, { kind: 'repair', text: '更换镜头模组' }, manager);
      await alerts.clear('recorder-fault', `${faulty.serial}/lens`);
    });

  const clipIds: string[] = [];
  for (let d = 0; d < o.days; d++) {
    const dayStart = start + d * DAY;
    const wd = new Date(dayStart + 8 * HOUR).getUTCDay();
    if (wd === 0 || wd === 6) continue;
    for (const [oi, off] of officers.entries()) {
      const n = rnd() < 0.25 ? 0 : rnd() < 0.7 ? 1 : 2;
      for (let k = 0; k < n; k++) {
        const special = k === 0 ? take(oi, d) : null;
        const sStart = dayStart + (9 + k * 3) * HOUR + Math.floor(rnd() * 90) * MIN;
        const dur = (20 + Math.floor(rnd() * 70)) * MIN;
        const sEnd = sStart + dur;
        const rolled = ACTIVITIES[Math.floor(rnd() * ACTIVITIES.length)]!;
        const activity: Activity =
          special === 'unrecorded-start' || special === 'no-clips' ? 'on-site-enforcement' : rolled;
        const sessionId = `S${d.toString().padStart(2, '0')}${oi.toString().padStart(3, '0')}${k}`;
        const caseNo = caseOf.get(off.id) ?? null;
        const officer: Officer = { id: off.id, name: off.name, certNo: off.certNo };
        // Coverage: contiguous clips from arrival to departure, unless planned otherwise.
        let recStart = sStart + 2000;
        if (special === 'unrecorded-start') recStart = sStart + 7 * MIN;
        const skipClips = special === 'no-clips';
        const ints: InterruptionRecord[] = [];
        const pieces: [number, number][] = [];
        const roll = rnd();
        const cause =
          special === 'unexplained'
            ? 'battery'
            : special === 'fault'
              ? 'fault'
              : roll < 0.08
                ? (['battery', 'weather', 'obstruction'] as const)[Math.floor(rnd() * 3)]!
                : null;
        if (!skipClips) {
          if (cause) {
            const cut = recStart + Math.floor((sEnd - recStart) / 2);
            const back = cut + (3 + Math.floor(rnd() * 8)) * MIN;
            pieces.push([recStart, cut], [back, sEnd - 2000]);
            const explained = special !== 'unexplained';
            const intId = timeSortableId(cut);
            ints.push({
              id: intId,
              source: 'recorder',
              device: off.serial,
              roomId: null,
              officer,
              sessionId,
              cause,
              canContinue: true,
              start: cut,
              end: back,
              resumed: true,
              resumeStatement: true,
              resumeStatementAt: back + 5000,
              status: explained ? 'explained' : 'open',
              explanation: explained
                ? {
                    text:
                      cause === 'fault'
                        ? '记录仪镜头故障，重启后恢复'
                        : cause === 'battery'
                          ? '电池电量耗尽，更换备用电池后恢复'
                          : cause === 'weather'
                            ? '暴雨导致设备进水，擦干后恢复'
                            : '当事人遮挡镜头，已口头警告',
                    author: off.id,
                    at: new Date(sEnd + 3 * HOUR).toISOString(),
                  }
                : null,
              history: [],
              review: null,
              alerts: [],
              openedAt: new Date(cut).toISOString(),
              updatedAt: new Date(sEnd).toISOString(),
            });
          } else pieces.push([recStart, sEnd - 2000]);
        }
        const clipsOf: { id: string; s: number; e: number }[] = [];
        for (const [a, b] of pieces) {
          for (let t = a; t < b; t += 30 * MIN)
            clipsOf.push({
              id: `${off.serial}-${sessionId}-${clipsOf.length + 1}`,
              s: t,
              e: Math.min(b, t + 30 * MIN),
            });
        }
        const record: SessionRecord = {
          serial: off.serial,
          sessionId,
          activity,
          caseNo,
          officerId: off.id,
          officer,
          requirement: config.recordingList[activity] ?? 'unlisted',
          startedAt: sStart,
          endedAt: sEnd,
          recording: false,
          noticeGiven: true,
          noticeAt: sStart + 20_000,
          statements: 1 + Math.floor(rnd() * 3),
          segments: clipsOf.length,
          bytes: clipsOf.length * 4096,
          firstSegmentStart: clipsOf[0]?.s ?? null,
          lastSegmentEnd: clipsOf.at(-1)?.e ?? null,
          flags: [],
          interruptions: ints.map((i) => ({ id: i.id, cause: i.cause, start: i.start })),
          updatedAt: new Date(sEnd).toISOString(),
        };
        nSessions++;
        nInt += ints.length;
        at(sEnd, async () => {
          await sessionsDb.put(`${off.serial}!${sessionId}`, record);
          for (const i of ints) await intDb.put(i.id, i);
        });
        // Docked at the end of the shift: uploaded within hours, a few a day late, one never.
        const late = special === 'late';
        const never = special === 'never';
        const upAt = late ? sEnd + 30 * HOUR : dayStart + 18 * HOUR + Math.floor(rnd() * 120) * MIN;
        for (const c of clipsOf) {
          nClips++;
          clipIds.push(c.id);
          const facts = {
            clipId: c.id,
            source: { kind: 'recorder' as const, id: off.serial },
            sessionId,
            officer,
            ...(caseNo ? { caseNo } : {}),
            activity,
            start: c.s,
            end: c.e,
          };
          if (never) at(c.e, () => store.announce({ ...facts, bytes: 64, sha256: contentSha(c.id) }));
          else {
            at(Math.max(upAt, c.e + MIN), async () => {
              const p = join(tmp, c.id);
              await writeFile(p, content(c.id));
              await store.ingestFile(p, facts, { actor: `dock:${off.serial}` });
              await rm(p);
            });
          }
        }
        if (caseNo && !skipClips) {
          at(sEnd + 2 * HOUR, async () => {
            const cs = await cases.get(caseNo);
            if (!cs) return;
            await cases.tag(legal, caseNo, {
              targets: [{ kind: 'recorder-session', serial: off.serial, sessionId }],
              stage: cs.stage,
              activity,
            });
          });
        }
      }
    }
  }

  // Breach (4): an original found altered by a sweep, and a clip quarantined at ingest.
  // Breach (5): an export image downloaded without the principal's approval; a retrieval outside one.
  const victim = clipIds[Math.floor(clipIds.length / 3)];
  const quarantined = clipIds[Math.floor(clipIds.length / 2)];
  if (withBreaches)
    at(start + 18 * DAY + 3 * HOUR, async () => {
      if (victim)
        await audit({
          type: 'integrity-failure',
          actor: 'gateway',
          subject: `clip:${victim}`,
          details: { kind: 'altered', detectedBy: 'sweep', demo: true },
        });
      if (quarantined)
        await audit({
          type: 'quarantine',
          actor: 'dock:/dev/ttyACM0',
          subject: `clip:${quarantined}`,
          details: {
            reason: "sha256 mismatch: the recorder's bytes differ from what it recorded",
            officerId: officers[0]!.id,
            demo: true,
          },
        });
    });
  if (withBreaches)
    at(start + 20 * DAY + 15 * HOUR, async () => {
      await audit({
        type: 'export-download',
        actor: 'hearingstaff',
        subject: 'export:demo-unapproved',
        details: { caseNo: caseNos[0] ?? '', demo: true },
      });
      if (clipIds[5])
        await audit({
          type: 'clip-access',
          actor: 'auditor',
          subject: `clip:${clipIds[5]}`,
          details: { action: 'retrieve', reason: '上级机关调取（无审批记录）', demo: true },
        });
    });

  // Steps in time order, those of one BUCKET together (their audit entries share group commits);
  // the clock reads the bucket's start. Nothing after the end (today's later shifts) happens.
  steps.sort((a, b) => a.at - b.at);
  for (let i = 0; i < steps.length; ) {
    const bucket = Math.floor(steps[i]!.at / BUCKET_MS);
    let j = i;
    while (j < steps.length && Math.floor(steps[j]!.at / BUCKET_MS) === bucket) j++;
    const batch = steps.slice(i, j).filter((s) => s.at <= o.end);
    i = j;
    if (batch.length === 0) continue;
    clock = batch[0]!.at;
    const results = await Promise.allSettled(batch.map((s) => s.run()));
    for (const r of results)
      if (r.status === 'rejected') log.warn({ err: r.reason }, 'demo history step failed');
  }
  clock = o.end;
  await rm(tmp, { recursive: true, force: true });
  await cases.stop();
  await alerts.stop();
  await store.stop();
  await db.close();
  return {
    sessions: nSessions,
    hearings: nHearings,
    clips: nClips,
    interruptions: nInt,
    cases: caseNos.length + (withBreaches ? 1 : 0),
    ms: Math.round(performance.now() - t0),
  };
}

const content = (id: string) => Buffer.from(`demo clip ${id}`.padEnd(64, '.'));
const contentSha = (id: string) => createHash('sha256').update(content(id)).digest('hex');
