/**
 * A simulated office for `gateway central --demo` and the scale bench: the real upstream bridge and
 * outbox (gateway/uplink/) fed by a synthetic fleet and a synthetic audit log instead of a whole
 * gateway. The log is a list of Merkle leaves signed with the office's own Ed25519 key, so central
 * witnesses real checkpoints with real consistency proofs; `rewriteHistory()` alters an old entry,
 * which central must call a fork. Time is the caller's (virtual in the bench).
 */
import { join } from 'node:path';
import { type Checkpoint, signCheckpoint } from '../custody/checkpoint.js';
import {
  consistencyProof,
  type Hash,
  leafHash,
  rootOfLeaves,
  subtreeOfLeaves,
  toHex,
} from '../custody/merkle.js';
import { SigningKey } from '../custody/signing-key.js';
import type { WitnessContext } from '../custody/witnesses.js';
import { type Db, openDb } from '../db.js';
import { EventBus } from '../events.js';
import type { Logger } from '../log.js';
import { UplinkBridge } from '../uplink/bridge.js';
import { UplinkConfig } from '../uplink/config.js';
import type { HealthBody } from '../uplink/messages.js';

export interface SimOfficeOptions {
  office: string;
  recorders: number;
  dir: string;
  url: string;
  passwordFile: string;
  caFile?: string;
  log: Logger;
  now: () => number;
  /** Deterministic randomness (a seeded generator). */
  random: () => number;
  healthEveryS?: number;
  inflight?: number;
}

interface SimRecorder {
  serial: string;
  online: boolean;
  batteryPct: number;
  storageFreePct: number;
}

const CAUSES = ['battery', 'storage', 'fault', 'obstruction', 'weather'] as const;

export class SimOffice {
  readonly bus: EventBus;
  bridge!: UplinkBridge;
  #db!: Db;
  #key!: SigningKey;
  readonly #leaves: Hash[] = [];
  readonly #fleet: SimRecorder[];
  readonly #o: SimOfficeOptions;
  #openInterruptions = 0;
  #unexplained = 0;
  #n = 0;

  constructor(o: SimOfficeOptions) {
    this.#o = o;
    this.bus = new EventBus(o.log);
    this.#fleet = Array.from({ length: o.recorders }, (_, i) => ({
      serial: `${o.office.slice(0, 20)}-${String(i + 1).padStart(3, '0')}`,
      online: true,
      batteryPct: 60 + Math.round(o.random() * 40),
      storageFreePct: 40 + Math.round(o.random() * 60),
    }));
  }

  get office(): string {
    return this.#o.office;
  }

  async start(): Promise<void> {
    const o = this.#o;
    this.#db = await openDb(join(o.dir, 'index'));
    this.#key = (await SigningKey.loadOrCreate(join(o.dir, 'key.pem'))).key;
    this.bridge = new UplinkBridge({
      config: UplinkConfig.parse({
        url: o.url,
        office: o.office,
        passwordFile: o.passwordFile,
        caFile: o.caFile,
        healthEveryS: o.healthEveryS ?? 3600,
        inflight: o.inflight ?? 16,
        reconnectS: 1,
      }),
      db: this.#db,
      bus: this.bus,
      log: o.log,
      snapshot: async () => this.snapshot(),
      now: o.now,
    });
    await this.bridge.start();
  }

  async stop(): Promise<void> {
    await this.bridge?.stop();
    await this.#db?.close();
  }

  snapshot(): HealthBody {
    return {
      recorders: this.#fleet.map((r) => ({
        serial: r.serial,
        online: r.online,
        batteryPct: Math.round(r.batteryPct),
        storageFreePct: Math.round(r.storageFreePct),
        conditions: [
          ...(r.batteryPct < 20 ? ['battery-low'] : []),
          ...(r.storageFreePct < 10 ? ['storage-low'] : []),
          ...(r.online ? [] : ['offline']),
        ],
      })),
      interruptions: { open: this.#openInterruptions, unexplained: this.#unexplained },
      backlog: {
        overdueClips: Math.floor(this.#o.random() * 3),
        archiveDepth: Math.floor(this.#o.random() * 40),
        archiveOldestAgeS: Math.floor(this.#o.random() * 3600),
      },
      compliance: {
        month: new Date(this.#o.now()).toISOString().slice(0, 7),
        breaches: { 'not-recorded': this.#unexplained, 'not-stored': Math.floor(this.#o.random() * 2) },
      },
    };
  }

  /** One step of the fleet's day: batteries drain or charge, now and then an interruption or an alert. */
  step(): void {
    const r = this.#fleet[Math.floor(this.#o.random() * this.#fleet.length)];
    if (!r) return;
    r.batteryPct = Math.max(0, Math.min(100, r.batteryPct + (this.#o.random() < 0.2 ? 30 : -7)));
    r.storageFreePct = Math.max(0, Math.min(100, r.storageFreePct + (this.#o.random() < 0.1 ? 50 : -3)));
    r.online = this.#o.random() > 0.05;
    const dice = this.#o.random();
    if (dice < 0.3) {
      const cause = CAUSES[Math.floor(this.#o.random() * CAUSES.length)]!;
      const id = `${this.office}-int-${++this.#n}`;
      this.#openInterruptions++;
      this.#unexplained++;
      this.#log({ type: 'interruption', id, serial: r.serial, cause });
      this.bus.emit('interruption.opened', {
        id,
        source: 'recorder',
        device: r.serial,
        cause,
        sessionId: null,
      });
    } else if (dice < 0.5 && this.#openInterruptions > 0) {
      this.#openInterruptions--;
      this.#unexplained = Math.max(0, this.#unexplained - 1);
      this.bus.emit('interruption.updated', { id: `${this.office}-int-${this.#n}`, status: 'explained' });
    } else if (dice < 0.8) {
      const rule = r.batteryPct < 20 ? 'battery-low' : 'storage-low';
      this.#log({ type: 'alert', rule, serial: r.serial });
      this.bus.emit('alert.raised', {
        id: `${this.office}-a-${++this.#n}`,
        at: new Date(this.#o.now()).toISOString(),
        severity: 'warning',
        rule,
        subject: r.serial,
        message: `${r.serial}: ${rule}`,
        notify: ['equipment-manager'],
      });
    } else {
      this.bus.emit('alert.cleared', {
        id: `${this.office}-a-${this.#n}`,
        rule: 'battery-low',
        subject: r.serial,
      });
    }
  }

  /** A signed checkpoint of the synthetic log, through the bridge's witness (proof included). */
  async checkpoint(): Promise<Checkpoint> {
    const leaves = [...this.#leaves];
    const cp = signCheckpoint(
      {
        origin: this.office,
        treeSize: leaves.length,
        rootHash: toHex(rootOfLeaves(leaves)),
        at: new Date(this.#o.now()).toISOString(),
      },
      this.#key,
    );
    const tree = {
      consistencyProof: (m: number, n: number) => consistencyProof(m, n, subtreeOfLeaves(leaves)),
    };
    const ctx = { tree, key: this.#key.public.toJson() } as unknown as WitnessContext;
    await this.bridge.witness.deliver(cp, ctx);
    return cp;
  }

  /** Rewrites the oldest entry (what an office whose history was altered would then sign). */
  rewriteHistory(): void {
    if (this.#leaves.length > 0) this.#leaves[0] = leafHash('{"rewritten":true}');
  }

  #log(entry: Record<string, unknown>): void {
    this.#leaves.push(
      leafHash(JSON.stringify({ seq: this.#leaves.length + 1, at: this.#o.now(), ...entry })),
    );
  }
}
