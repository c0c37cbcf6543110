/**
 * Custody of the audit log (R3, R25; FORMATS.md §1–2): the signing key, signed checkpoints issued
 * at start (when the log grew), at least every `intervalH` and on demand, each one recorded as a
 * `checkpoint` audit entry and sent to every witness; at start the log is checked against the last
 * checkpoint this gateway issued (LevelDB and the first directory witness), and a mismatch is a
 * critical alert and an `integrity-failure` entry. Proofs for evidence discs come from here too.
 *
 * The exports side uses: `latestCheckpoint()`, `issueCheckpoint(reason, actor)`,
 * `inclusionProof(seq, treeSize)` and `inclusionProofs(seqs, treeSize)`, `leafInput(seq)` and
 * `leafInputs(seqs)`, `publicKeyJson()`.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { AlertService } from '../alerts/service.js';
import type { CustodyConfig } from '../config.js';
import type { Db } from '../db.js';
import { GatewayError } from '../errors.js';
import type { Service } from '../events.js';
import type { Logger } from '../log.js';
import type { AuditLog } from '../store/audit-log.js';
import { jsonSub, pad, type Sub } from '../store/keys.js';
import { KeyedMutex } from '../store/mutex.js';
import { AuditTree } from './audit-tree.js';
import { type Checkpoint, signCheckpoint } from './checkpoint.js';
import { checkHeld, type Difference, firstDifference, type HeldCheck } from './held-check.js';
import { toHex } from './merkle.js';
import { renderCustodyReceipt } from './receipt.js';
import { type GatewayKeyJson, SigningKey } from './signing-key.js';
import { DirectoryWitness, MIRROR_FILE, MqttWitness, type Witness } from './witnesses.js';

export const INTEGRITY_RULE = 'audit-log-integrity';
export const INTEGRITY_SUBJECT = 'audit-log';
export const WITNESS_RULE = 'custody-witness';
/** R25: the principal and the legal-affairs office are told at once. */
const NOTIFY = ['principal', 'legal-affairs'] as const;
const TICK_MS = 60 * 60 * 1000;

export interface CustodyServiceOptions {
  config: CustodyConfig;
  dataDir: string;
  db: Db;
  log: Logger;
  alerts: AlertService;
  /** The store's audit log (open once the store has started). */
  audit: () => AuditLog;
  now?: () => number;
}

/** RFC 9162 inclusion proof of one entry, as `custody/proofs.json` holds it (FORMATS.md §3). */
export interface EntryProof {
  seq: number;
  leafIndex: number;
  treeSize: number;
  auditPath: string[];
}

export interface IntegrityFailure {
  at: string;
  checks: HeldCheck[];
  difference?: Difference;
}

export function defaultKeyFile(dataDir: string): string {
  return join(dataDir, 'keys', 'gateway-ed25519.pem');
}

export class CustodyService implements Service {
  readonly name = 'custody';
  readonly keyFile: string;
  readonly witnesses: Witness[];
  readonly #config: CustodyConfig;
  readonly #log: Logger;
  readonly #alerts: AlertService;
  readonly #audit: () => AuditLog;
  readonly #now: () => number;
  readonly #checkpoints: Sub<Checkpoint>;
  readonly #mutex = new KeyedMutex();
  readonly #deliveries = new Set<Promise<void>>();
  #key: SigningKey | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failure: IntegrityFailure | undefined;
  #localDevices: number[] = [];
  readonly #dataDir: string;

  constructor(opts: CustodyServiceOptions) {
    this.#config = opts.config;
    this.#log = opts.log;
    this.#alerts = opts.alerts;
    this.#audit = opts.audit;
    this.#now = opts.now ?? Date.now;
    this.keyFile = opts.config.keyFile ?? defaultKeyFile(opts.dataDir);
    this.#dataDir = opts.dataDir;
    this.#checkpoints = jsonSub<Checkpoint>(jsonSub<unknown>(opts.db, 'custody'), 'checkpoints');
    const w = opts.config.witnesses;
    this.witnesses = [
      ...w.directories.map((d) => new DirectoryWitness(d, { receipts: w.receipts })),
      ...w.mqtt.map(
        (m) =>
          new MqttWitness({
            url: m.url,
            topic: m.topic ?? `custody/${opts.config.gatewayId}/checkpoint`,
            clientId: `gateway-custody-${opts.config.gatewayId}`.slice(0, 64),
            timeoutMs: m.timeoutMs,
            ...(m.username !== undefined ? { username: m.username } : {}),
            ...(m.password !== undefined ? { password: m.password } : {}),
          }),
      ),
    ];
  }

  get gatewayId(): string {
    return this.#config.gatewayId;
  }

  /** What the start-up check found when the log disagreed with a checkpoint. */
  get integrityFailure(): IntegrityFailure | undefined {
    return this.#failure;
  }

  async start(): Promise<void> {
    await this.open();
    if (!this.#blocked() && (await this.#grown())) await this.issueCheckpoint('start', 'gateway');
    this.#timer = setInterval(
      () => {
        this.checkSchedule().catch((err: unknown) => this.#log.error({ err }, 'scheduled checkpoint failed'));
      },
      Math.min(TICK_MS, this.#config.intervalH * 3_600_000),
    );
    this.#timer.unref();
  }

  /** Key loaded (made on first start) and the log checked against its last checkpoint; no schedule. */
  async open(): Promise<void> {
    if (this.#key) return;
    const { key, created } = await SigningKey.loadOrCreate(this.keyFile);
    this.#key = key;
    if (created) {
      this.#log.warn(
        { file: this.keyFile, fingerprint: key.public.fingerprint },
        'new checkpoint signing key: the legal-affairs office records its fingerprint (gateway key show)',
      );
    }
    this.#localDevices = await Promise.all([this.#dataDir, '/'].map(async (p) => (await stat(p)).dev));
    await this.#checkAtStart();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flushWitnesses();
    this.#key = undefined;
    this.#failure = undefined;
  }

  /** Resolves when every witness delivery started so far has finished (or failed). */
  async flushWitnesses(): Promise<void> {
    while (this.#deliveries.size > 0) await Promise.all([...this.#deliveries]);
  }

  publicKeyJson(): GatewayKeyJson {
    return this.#signingKey().public.toJson();
  }

  publicKeyPem(): string {
    return this.#signingKey().public.toPem();
  }

  async latestCheckpoint(): Promise<Checkpoint | undefined> {
    const [last] = await this.#checkpoints.values({ reverse: true, limit: 1 }).all();
    return last;
  }

  /** Newest first. */
  async listCheckpoints(limit = 100): Promise<Checkpoint[]> {
    return this.#checkpoints.values({ reverse: true, limit }).all();
  }

  async checkpoint(treeSize: number): Promise<Checkpoint> {
    const cp = await this.#checkpoints.get(pad(treeSize));
    if (!cp) throw new GatewayError('NOT_FOUND', `no checkpoint of tree size ${treeSize}`);
    return cp;
  }

  async receiptPdf(treeSize: number): Promise<Buffer> {
    return renderCustodyReceipt(await this.checkpoint(treeSize));
  }

  /**
   * Sign the log's current tree head, record it (LevelDB row and `checkpoint` entry, one batch) and
   * send it to the witnesses in the background (`flushWitnesses` waits for them).
   */
  issueCheckpoint(reason: string, actor: string): Promise<Checkpoint> {
    return this.#mutex.run('issue', async () => {
      if (this.#blocked()) {
        throw new GatewayError(
          'STORE_CORRUPT',
          'the audit log disagrees with a checkpoint issued before; no new checkpoint until that is resolved',
        );
      }
      const key = this.#signingKey();
      const audit = this.#audit();
      const treeSize = audit.tree.size;
      const cp = signCheckpoint(
        {
          origin: this.#config.gatewayId,
          treeSize,
          rootHash: toHex(audit.tree.root(treeSize)),
          at: new Date(this.#now()).toISOString(),
        },
        key,
      );
      await audit.append(
        {
          type: 'checkpoint',
          actor,
          subject: `checkpoint:${treeSize}`,
          details: {
            reason: reason.slice(0, 200),
            ...cp,
            witnesses: this.witnesses.map((w) => w.name),
          },
        },
        { ops: [{ type: 'put', sublevel: this.#checkpoints, key: pad(treeSize), value: cp }] },
      );
      this.#log.info({ treeSize, rootHash: cp.rootHash, reason }, 'checkpoint issued');
      this.#deliver(cp);
      return cp;
    });
  }

  /** Audit path of entry `seq` in the tree of `treeSize` entries (a checkpoint's size). */
  inclusionProof(seq: number, treeSize: number): EntryProof {
    const tree = this.#audit().tree;
    const leafIndex = seq - 1;
    return { seq, leafIndex, treeSize, auditPath: tree.inclusionProof(leafIndex, treeSize).map(toHex) };
  }

  /** Proofs of many entries to one tree size, their shared subtrees hashed once. */
  inclusionProofs(seqs: readonly number[], treeSize: number): EntryProof[] {
    const paths = this.#audit().tree.inclusionProofs(
      seqs.map((seq) => seq - 1),
      treeSize,
    );
    return seqs.map((seq, i) => ({ seq, leafIndex: seq - 1, treeSize, auditPath: paths[i]!.map(toHex) }));
  }

  consistencyProof(fromSize: number, toSize: number): string[] {
    return this.#audit().tree.consistencyProof(fromSize, toSize).map(toHex);
  }

  /** The exact bytes of entry `seq`'s line (FORMATS.md §1 leaf input). */
  leafInput(seq: number): Promise<Buffer> {
    return this.#audit().tree.leafInput(seq);
  }

  /** The lines of many entries, in the order asked. */
  leafInputs(seqs: readonly number[]): Promise<Buffer[]> {
    return this.#audit().tree.leafInputs(seqs);
  }

  /**
   * No checkpoint over a log that disagrees with an earlier one while that alert is open: signing
   * it would certify the change. Once the principal or legal affairs resolve it (with a note, in
   * the log), the next checkpoint anchors the log as it now is, and later starts check against it.
   */
  #blocked(): boolean {
    return this.#alerts.activeFor(INTEGRITY_RULE, INTEGRITY_SUBJECT) !== undefined;
  }

  #signingKey(): SigningKey {
    if (!this.#key) throw new GatewayError('CONFLICT', 'custody service not started');
    return this.#key;
  }

  /** More than the last checkpoint's own entry since the last checkpoint? */
  async #grown(): Promise<boolean> {
    const last = await this.latestCheckpoint();
    const size = this.#audit().tree.size;
    return last ? size > last.treeSize + 1 : size > 0;
  }

  /** Issue the scheduled checkpoint if one is due (`intervalH` since the last) and the log grew. */
  async checkSchedule(): Promise<Checkpoint | undefined> {
    if (this.#blocked()) return undefined;
    const last = await this.latestCheckpoint();
    const due = !last || this.#now() - Date.parse(last.at) >= this.#config.intervalH * 3_600_000;
    if (due && (await this.#grown())) return this.issueCheckpoint('scheduled', 'gateway');
    return undefined;
  }

  #deliver(cp: Checkpoint): void {
    const key = this.publicKeyJson();
    const tree = this.#audit().tree;
    for (const w of this.witnesses) {
      // One delivery per witness at a time: two would both extend the log copy from the same length.
      const p = this.#mutex
        .run(`witness:${w.name}`, () =>
          w.deliver(cp, { tree, key, receipt: renderCustodyReceipt, localDevices: this.#localDevices }),
        )
        .then(
          async () => {
            this.#log.info({ witness: w.name, treeSize: cp.treeSize }, 'checkpoint delivered to witness');
            await this.#alerts.clear(WITNESS_RULE, w.name);
          },
          async (err: unknown) => {
            const message = err instanceof Error ? err.message : String(err);
            this.#log.error(
              { witness: w.name, treeSize: cp.treeSize, err: message },
              'witness delivery failed',
            );
            await this.#alerts.raise({
              rule: WITNESS_RULE,
              subject: w.name,
              severity: 'warning',
              message: `检查点未能送达见证方 ${w.name}：${message.slice(0, 300)}`,
              notify: NOTIFY,
              details: { treeSize: cp.treeSize },
            });
          },
        )
        .catch((err: unknown) => this.#log.error({ err }, 'witness alert failed'))
        .finally(() => this.#deliveries.delete(p));
      this.#deliveries.add(p);
    }
  }

  /** The log's first treeSize entries against the last checkpoint this gateway issued. */
  async #checkAtStart(): Promise<void> {
    const tree = this.#audit().tree;
    const pub = this.#signingKey().public;
    const held: { source: string; cp: Checkpoint }[] = [];
    const mine = await this.latestCheckpoint();
    if (mine) held.push({ source: 'leveldb', cp: mine });
    const first = this.witnesses.find((w): w is DirectoryWitness => w instanceof DirectoryWitness);
    if (first) {
      try {
        const cp = await first.latest();
        if (cp && cp.origin === this.#config.gatewayId) held.push({ source: first.name, cp });
      } catch (err) {
        this.#log.warn({ witness: first.name, err: (err as Error).message }, 'witness checkpoint unreadable');
      }
    }
    const checks = held.map((h) => checkHeld(tree, h.source, h.cp, pub));
    const failed = checks.filter((c) => !c.ok);
    if (failed.length === 0) {
      if (checks.length > 0)
        this.#log.info({ checks: checks.length, treeSize: tree.size }, 'audit log matches its checkpoints');
      return;
    }
    const copies: { source: string; tree: AuditTree }[] = [];
    if (first) {
      const copy = await AuditTree.fromFile(join(first.dir, MIRROR_FILE)).catch(() => undefined);
      if (copy && copy.tree.size > 0) copies.push({ source: join(first.dir, MIRROR_FILE), tree: copy.tree });
    }
    const difference = await firstDifference(tree, checks, copies);
    this.#failure = {
      at: new Date(this.#now()).toISOString(),
      checks,
      ...(difference ? { difference } : {}),
    };
    const reasons = failed.map((c) =>
      c.signature !== 'skipped' && !c.signature.ok
        ? `${c.source}: ${c.signature.reason}`
        : `${c.source}: ${c.consistency.ok ? 'ok' : c.consistency.reason}`,
    );
    const where = difference
      ? difference.exact
        ? `第 ${difference.fromSeq} 条记录起不一致`
        : `第 ${difference.fromSeq}–${difference.toSeq} 条记录之间不一致`
      : '签名无效';
    this.#log.fatal({ reasons, difference }, 'AUDIT LOG DOES NOT MATCH ITS CHECKPOINT');
    const details = {
      reasons,
      checkpoints: failed.map((c) => ({
        source: c.source,
        treeSize: c.checkpoint.treeSize,
        rootHash: c.checkpoint.rootHash,
      })),
      ...(difference
        ? {
            firstDifference: {
              fromSeq: difference.fromSeq,
              toSeq: difference.toSeq,
              exact: difference.exact,
              ...(difference.kind ? { kind: difference.kind } : {}),
              basis: difference.basis,
            },
          }
        : {}),
    };
    await this.#alerts.raise({
      rule: INTEGRITY_RULE,
      subject: INTEGRITY_SUBJECT,
      severity: 'critical',
      message: `审计日志与已签发的检查点不符（${where}）：日志可能被篡改，请立即核查（gateway verify --checkpoint）`,
      notify: NOTIFY,
      details,
    });
    await this.#audit().append({
      type: 'integrity-failure',
      actor: 'gateway',
      subject: 'audit:log',
      details,
    });
  }
}
