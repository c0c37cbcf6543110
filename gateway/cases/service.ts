/**
 * The case registry (R9–R13) and recording links. Cases and links live in LevelDB and in memory
 * (a unit's cases and a month's links are small beside the clip index); every change is a
 * `case-admin` audit entry (R3). Who may change what:
 *   - legal affairs create, edit, move and tag any case;
 *   - an officer creates a case naming themself, and edits, moves and tags only cases naming them,
 *     and only their own recorder sessions (the pairing says who held the recorder);
 *   - hearing staff tag a hearing they started with the case they picked when starting it.
 * A tag is a RecordingLink record of its own; the clip's facts stay as recorded (R25).
 */
import type { Activity } from '../../protocol/common.js';
import type { GatewayConfig } from '../config.js';
import { type Db, SYNCED, timeSortableId } from '../db.js';
import { GatewayError } from '../errors.js';
import type { EventBus, Service } from '../events.js';
import type { HearingSession } from '../hearings/schemas.js';
import type { SessionRecord } from '../interruptions/sessions.js';
import type { Logger } from '../log.js';
import type { Role } from '../roles.js';
import { KeyedMutex } from '../store/mutex.js';
import type { AuditInput, ClipRecord } from '../store/schema.js';
import {
  type CaseFilter,
  CaseInput,
  type CaseOf,
  CasePatch,
  type CaseRecord,
  type CaseStage,
  type LinkTarget,
  normalise,
  normaliseCaseNo,
  type RecordingLink,
  StageBody,
  TagBody,
  targetKey,
} from './schema.js';

export interface Actor {
  username: string;
  roles: readonly Role[];
}

export interface CaseFacts {
  session(serial: string, sessionId: string): Promise<SessionRecord | undefined>;
  hearing(id: string): Promise<HearingSession | undefined>;
  clip(clipId: string): Promise<ClipRecord | undefined>;
  /** Device clock minus gateway clock (ms) of a recorder around device time `at`; null when unknown. */
  clockOffset(serial: string, at: number): Promise<number | null>;
  displayName(username: string): Promise<string | null>;
}

export interface CaseServiceOptions {
  db: Db;
  audit: (e: AuditInput) => Promise<unknown>;
  config: GatewayConfig['cases'];
  timeZone: string;
  facts: CaseFacts;
  /** Hearings started for a registered case are linked to it as they start. */
  bus?: EventBus;
  log: Logger;
  now?: () => number;
}

const isLegal = (a: Actor) => a.roles.includes('legal-affairs');

export class CaseService implements Service {
  readonly name = 'cases';
  readonly #cases;
  readonly #links;
  readonly #o: CaseServiceOptions;
  readonly #now: () => number;
  readonly #byKey = new Map<string, CaseRecord>();
  readonly #linkById = new Map<string, RecordingLink>();
  /** targetKey -> the current (newest) link id. */
  readonly #current = new Map<string, string>();
  readonly #formats: [string, RegExp][];
  readonly #day: Intl.DateTimeFormat;
  readonly #lock = new KeyedMutex();
  readonly #names = new Map<string, string | null>();
  #off: (() => void) | undefined;

  constructor(opts: CaseServiceOptions) {
    this.#o = opts;
    this.#now = opts.now ?? Date.now;
    this.#cases = opts.db.sublevel<string, CaseRecord>('cases', { valueEncoding: 'json' });
    this.#links = opts.db.sublevel<string, RecordingLink>('case-links', { valueEncoding: 'json' });
    this.#formats = Object.entries(opts.config.numberFormats).map(([unit, re]) => [
      unit,
      new RegExp(`^(?:${re})$`, 'u'),
    ]);
    this.#day = new Intl.DateTimeFormat('en-CA', {
      timeZone: opts.timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
    });
  }

  async start(): Promise<void> {
    this.#byKey.clear();
    this.#linkById.clear();
    this.#current.clear();
    for await (const c of this.#cases.values()) this.#byKey.set(c.key, c);
    for await (const l of this.#links.values()) this.#index(l);
    this.#off = this.#o.bus?.on('hearing.changed', (e) => {
      if (e.state !== 'recording') return;
      this.#o.facts
        .hearing(e.sessionId)
        .then((h) => (h ? this.linkHearing(h) : null))
        .catch((err) =>
          this.#o.log.error({ err, hearing: e.sessionId }, 'linking a hearing to its case failed'),
        );
    });
  }

  async stop(): Promise<void> {
    this.#off?.();
    this.#off = undefined;
  }

  // ---- reads (the API other services use; shapes documented in schema.ts) ----

  async get(caseNo: string): Promise<CaseRecord | undefined> {
    return this.#byKey.get(normaliseCaseNo(caseNo));
  }

  async list(f: CaseFilter = {}): Promise<CaseRecord[]> {
    const q = f.q ? normalise(f.q) : '';
    const no = f.caseNo ? normalise(f.caseNo) : '';
    const party = f.party ? normalise(f.party) : '';
    const officer = f.officer ? normalise(f.officer) : '';
    const out: CaseRecord[] = [];
    for (const c of this.#byKey.values()) {
      if (f.unit && c.unit !== f.unit) continue;
      if (f.type && c.type !== f.type) continue;
      if (f.stage && c.stage !== f.stage) continue;
      if (no && !c.key.includes(no)) continue;
      if (party && !c.parties.some((p) => normalise(p).includes(party))) continue;
      if (f.date && !c.activityDays.some((d) => d.startsWith(f.date as string))) continue;
      const people = officer || q ? await this.#peopleText(c) : '';
      if (officer && !people.includes(officer)) continue;
      if (q && !this.#text(c, people).includes(q)) continue;
      out.push(c);
    }
    out.sort((a, b) =>
      a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.key < b.key ? -1 : 1,
    );
    return out.slice(0, f.limit ?? 500);
  }

  /** The current link of each recording tagged with this case, oldest recording first. */
  async linksOf(caseNo: string): Promise<RecordingLink[]> {
    const key = normaliseCaseNo(caseNo);
    const out: RecordingLink[] = [];
    for (const id of this.#current.values()) {
      const l = this.#linkById.get(id);
      if (l && normaliseCaseNo(l.caseNo) === key) out.push(l);
    }
    return out.sort((a, b) => (a.start ?? 0) - (b.start ?? 0) || (a.id < b.id ? -1 : 1));
  }

  async caseOfTarget(t: LinkTarget): Promise<CaseOf | null> {
    const id = this.#current.get(targetKey(t));
    const l = id ? this.#linkById.get(id) : undefined;
    if (!l) return null;
    return { caseNo: l.caseNo, stage: l.stage, activity: l.activity, linkId: l.id, via: 'link' };
  }

  async caseOf(clipId: string): Promise<CaseOf | null> {
    const clip = await this.#o.facts.clip(clipId);
    if (!clip) return null;
    const t: LinkTarget =
      clip.source.kind === 'camera'
        ? { kind: 'hearing', hearingId: clip.sessionId }
        : { kind: 'recorder-session', serial: clip.source.id, sessionId: clip.sessionId };
    const linked = await this.caseOfTarget(t);
    if (linked) return linked;
    const stamped = clip.caseNo ? await this.get(clip.caseNo) : undefined;
    if (!stamped) return null;
    return {
      caseNo: stamped.caseNo,
      stage: null,
      activity: clip.activity ?? null,
      linkId: null,
      via: 'recorded',
    };
  }

  /** Every link ever made for a recording, oldest first. */
  async history(t: LinkTarget): Promise<RecordingLink[]> {
    const key = targetKey(t);
    return [...this.#linkById.values()]
      .filter((l) => targetKey(l.target) === key)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** R24: legal affairs and supervisors see every case; officers the cases naming them. */
  canSee(a: Actor, c: CaseRecord): boolean {
    if (a.roles.some((r) => r !== 'officer')) return true;
    return c.officers.includes(a.username);
  }

  canEdit(a: Actor, c: CaseRecord): boolean {
    return isLegal(a) || (a.roles.includes('officer') && c.officers.includes(a.username));
  }

  // ---- changes ----

  async create(a: Actor, input: CaseInput, source: CaseRecord['source'] = 'manual'): Promise<CaseRecord> {
    const i = CaseInput.parse(input);
    if (!isLegal(a) && !i.officers.includes(a.username)) {
      throw new GatewayError(
        'FORBIDDEN',
        'an officer registers only cases naming themself among the officers',
        {
          reason: 'NOT_ON_CASE',
        },
      );
    }
    this.checkNumber(i.caseNo, i.unit);
    const key = normaliseCaseNo(i.caseNo);
    return this.#lock.run(`case:${key}`, async () => {
      const existing = this.#byKey.get(key);
      if (existing) {
        throw new GatewayError('CONFLICT', `case ${existing.caseNo} is already registered`, {
          reason: 'CASE_EXISTS',
          caseNo: existing.caseNo,
        });
      }
      const at = this.#iso();
      const rec: CaseRecord = {
        caseNo: i.caseNo,
        key,
        type: i.type,
        title: i.title,
        unit: i.unit,
        officers: [...new Set(i.officers)],
        parties: [...new Set(i.parties)],
        stage: i.stage,
        stageHistory: [{ stage: i.stage, by: a.username, at, ...(i.note ? { note: i.note } : {}) }],
        activityDays: [this.#dayOf(this.#now())],
        createdBy: a.username,
        createdAt: at,
        updatedBy: a.username,
        updatedAt: at,
        source,
      };
      await this.#cases.put(key, rec, SYNCED);
      this.#byKey.set(key, rec);
      await this.#audit(a, rec, { action: source === 'import' ? 'import' : 'create', ...describe(rec) });
      return rec;
    });
  }

  async update(a: Actor, caseNo: string, patch: CasePatch): Promise<CaseRecord> {
    const p = CasePatch.parse(patch);
    return this.#change(a, caseNo, async (c) => {
      if (p.unit !== undefined) this.checkNumber(c.caseNo, p.unit);
      if (p.officers && !isLegal(a) && !p.officers.includes(a.username)) {
        throw new GatewayError(
          'FORBIDDEN',
          'an officer cannot take themself off a case (legal affairs can)',
          {
            reason: 'NOT_ON_CASE',
          },
        );
      }
      const before = describe(c);
      if (p.type) c.type = p.type;
      if (p.title) c.title = p.title;
      if (p.unit) c.unit = p.unit;
      if (p.officers) c.officers = [...new Set(p.officers)];
      if (p.parties) c.parties = [...new Set(p.parties)];
      return { action: 'edit', before, after: describe(c) };
    });
  }

  async moveStage(a: Actor, caseNo: string, body: { stage: CaseStage; note?: string }): Promise<CaseRecord> {
    const b = StageBody.parse(body);
    return this.#change(a, caseNo, async (c) => {
      if (c.stage === b.stage)
        throw new GatewayError('CONFLICT', `case ${c.caseNo} is already at ${b.stage}`);
      const from = c.stage;
      const at = this.#iso();
      c.stage = b.stage;
      c.stageHistory.push({ stage: b.stage, by: a.username, at, ...(b.note ? { note: b.note } : {}) });
      this.#addDay(c, this.#now());
      return { action: 'stage', from, to: b.stage, note: b.note };
    });
  }

  /**
   * Tags recordings (bulk) with this case, stage and activity. All-or-nothing: every target is
   * checked first (exists, ended, the actor's own), then each link is written and audited.
   */
  async tag(a: Actor, caseNo: string, body: TagBody): Promise<RecordingLink[]> {
    const b = TagBody.parse(body);
    const c = this.#need(caseNo);
    if (!this.canEdit(a, c) && !a.roles.includes('hearing-staff')) {
      throw new GatewayError('FORBIDDEN', `you are not on case ${c.caseNo}`, { reason: 'NOT_ON_CASE' });
    }
    const facts: { start: number | null; activity: Activity | null }[] = [];
    for (const t of b.targets) facts.push(await this.#checkTarget(a, t));
    const out: RecordingLink[] = [];
    for (const [n, t] of b.targets.entries()) {
      const link = await this.#link(a, c, t, {
        stage: b.stage,
        activity: b.activity ?? facts[n]?.activity ?? 'other',
        start: facts[n]?.start ?? null,
        note: b.note,
      });
      if (link) out.push(link);
    }
    return out;
  }

  /** The link made when hearing staff start a hearing for a registered case (R14). */
  async linkHearing(h: HearingSession): Promise<RecordingLink | null> {
    const c = this.#byKey.get(normaliseCaseNo(h.caseNo));
    if (!c) return null;
    const a: Actor = { username: h.startedBy, roles: ['hearing-staff'] };
    // `hearing.changed` may repeat: only the first makes the link (checked under the link's lock).
    return this.#link(
      a,
      c,
      { kind: 'hearing', hearingId: h.id },
      { stage: c.stage, activity: h.activity, start: h.startedAt, onlyIfUnlinked: true },
    );
  }

  /** Refuses a number outside its unit's configured format (config cases.numberFormats; `*` = any unit). */
  checkNumber(caseNo: string, unit: string): void {
    const f = this.#formats.find(([u]) => u === unit) ?? this.#formats.find(([u]) => u === '*');
    if (f && !f[1].test(caseNo)) {
      throw new GatewayError('BAD_REQUEST', `case number does not match the format of unit ${unit}`, {
        reason: 'CASE_NO_FORMAT',
        format: this.#o.config.numberFormats[f[0]],
      });
    }
  }

  /**
   * `gateway reindex`: cases and links the log holds and the index lacks. A link dates its case
   * (`activityDays`) without a case entry of its own, so every link's day is put back on a
   * restored case. Returns the case numbers and link ids restored.
   */
  async restore(cases: CaseRecord[], links: RecordingLink[]): Promise<{ cases: string[]; links: string[] }> {
    const out = { cases: [] as string[], links: [] as string[] };
    const restored = new Map<string, CaseRecord>();
    for (const c of cases) {
      if ((await this.#cases.get(c.key)) !== undefined) continue;
      restored.set(c.key, structuredClone(c));
    }
    for (const l of links) {
      const c = restored.get(normaliseCaseNo(l.caseNo));
      if (c && l.start !== null) this.#addDay(c, l.start);
      if ((await this.#links.get(l.id)) !== undefined) continue;
      await this.#links.put(l.id, l, SYNCED);
      this.#index(l);
      out.links.push(l.id);
    }
    for (const c of restored.values()) {
      await this.#cases.put(c.key, c, SYNCED);
      this.#byKey.set(c.key, c);
      out.cases.push(c.caseNo);
    }
    return out;
  }

  // ---- internals ----

  async #checkTarget(a: Actor, t: LinkTarget): Promise<{ start: number | null; activity: Activity | null }> {
    const legal = isLegal(a);
    if (t.kind === 'hearing') {
      const h = await this.#o.facts.hearing(t.hearingId);
      if (!h) throw new GatewayError('NOT_FOUND', `no hearing ${t.hearingId}`);
      if (!legal && h.startedBy !== a.username) {
        throw new GatewayError('FORBIDDEN', `hearing ${t.hearingId} was started by someone else`, {
          reason: 'NOT_YOURS',
        });
      }
      return { start: h.startedAt, activity: h.activity };
    }
    const s = await this.#o.facts.session(t.serial, t.sessionId);
    if (!s) throw new GatewayError('NOT_FOUND', `no session ${t.sessionId} of ${t.serial}`);
    // The pairing (R21) names who held the recorder; what the recorder itself says comes second.
    const holder = s.officer?.id ?? s.officerId ?? null;
    if (!legal && holder !== a.username) {
      throw new GatewayError('FORBIDDEN', `session ${t.sessionId} was recorded by someone else`, {
        reason: 'NOT_YOURS',
      });
    }
    if (!legal && s.recording)
      throw new GatewayError('CONFLICT', `session ${t.sessionId} is still recording`);
    const start = s.startedAt ?? s.firstSegmentStart;
    if (start === null) return { start: null, activity: s.activity };
    const offset = await this.#o.facts.clockOffset(t.serial, start);
    return { start: offset === null ? start : start - offset, activity: s.activity };
  }

  async #link(
    a: Actor,
    c: CaseRecord,
    t: LinkTarget,
    l: {
      stage: CaseStage;
      activity: Activity;
      start: number | null;
      note?: string | undefined;
      onlyIfUnlinked?: boolean;
    },
  ): Promise<RecordingLink | null> {
    const key = targetKey(t);
    return this.#lock.run(`link:${key}`, async () => {
      const prev = this.#current.get(key) ?? null;
      if (prev && l.onlyIfUnlinked) return null;
      const link: RecordingLink = {
        id: timeSortableId(this.#now()),
        caseNo: c.caseNo,
        target: t,
        stage: l.stage,
        activity: l.activity,
        start: l.start,
        by: a.username,
        at: this.#iso(),
        ...(l.note ? { note: l.note } : {}),
        supersedes: prev,
      };
      await this.#links.put(link.id, link, SYNCED);
      this.#index(link);
      await this.#o.audit({
        type: 'case-admin',
        actor: a.username,
        subject: t.kind === 'hearing' ? `hearing:${t.hearingId}` : `session:${t.sessionId}`,
        details: {
          action: 'link',
          linkId: link.id,
          caseNo: c.caseNo,
          target: t,
          stage: l.stage,
          activity: l.activity,
          supersedes: prev,
          // The whole link: `gateway reindex` rebuilds it from this entry (docs/STATE.md).
          link,
        },
      });
      if (l.start !== null) {
        await this.#change(
          a,
          c.caseNo,
          async (cur) => {
            this.#addDay(cur, l.start as number);
            return null;
          },
          false,
        );
      }
      return link;
    });
  }

  async #change(
    a: Actor,
    caseNo: string,
    fn: (c: CaseRecord) => Promise<Record<string, unknown> | null>,
    check = true,
  ): Promise<CaseRecord> {
    const key = normaliseCaseNo(caseNo);
    return this.#lock.run(`case:${key}`, async () => {
      const cur = this.#need(caseNo);
      if (check && !this.canEdit(a, cur)) {
        throw new GatewayError('FORBIDDEN', `you are not on case ${cur.caseNo}`, { reason: 'NOT_ON_CASE' });
      }
      const next = structuredClone(cur);
      const details = await fn(next);
      if (details) {
        next.updatedBy = a.username;
        next.updatedAt = this.#iso();
      }
      await this.#cases.put(key, next, SYNCED);
      this.#byKey.set(key, next);
      if (details) await this.#audit(a, next, details);
      return next;
    });
  }

  #need(caseNo: string): CaseRecord {
    const c = this.#byKey.get(normaliseCaseNo(caseNo));
    if (!c) throw new GatewayError('NOT_FOUND', `no case ${caseNo.slice(0, 64)}`);
    return c;
  }

  #index(l: RecordingLink): void {
    this.#linkById.set(l.id, l);
    const key = targetKey(l.target);
    const cur = this.#current.get(key);
    if (!cur || cur < l.id) this.#current.set(key, l.id);
  }

  #addDay(c: CaseRecord, ms: number): void {
    const d = this.#dayOf(ms);
    if (!c.activityDays.includes(d)) c.activityDays = [...c.activityDays, d].sort();
  }

  #dayOf(ms: number): string {
    return this.#day.format(new Date(ms));
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }

  #text(c: CaseRecord, people: string): string {
    return normalise([c.caseNo, c.title, c.unit, ...c.parties].join(' ')) + people;
  }

  /** Officers' usernames and display names, normalised (display names cached: they rarely change). */
  async #peopleText(c: CaseRecord): Promise<string> {
    const parts: string[] = [];
    for (const u of c.officers) {
      if (!this.#names.has(u)) this.#names.set(u, await this.#o.facts.displayName(u).catch(() => null));
      parts.push(u, this.#names.get(u) ?? '');
    }
    return normalise(parts.join(' '));
  }

  /** With the record as it now is: `gateway reindex` rebuilds the case from its last entry. */
  async #audit(a: Actor, c: CaseRecord, details: Record<string, unknown>): Promise<void> {
    await this.#o.audit({
      type: 'case-admin',
      actor: a.username,
      subject: `case:${c.caseNo}`,
      details: { ...details, record: c },
    });
  }
}

function describe(c: CaseRecord): Record<string, unknown> {
  return {
    caseNo: c.caseNo,
    type: c.type,
    title: c.title,
    unit: c.unit,
    officers: c.officers,
    parties: c.parties,
    stage: c.stage,
  };
}
