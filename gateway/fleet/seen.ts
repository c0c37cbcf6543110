/**
 * Event ids already processed, per recorder (PROTOCOL.md §2.2: receivers de-duplicate on
 * (serial, id)). Persisted so a replay after a gateway restart is still recognised; bounded to the
 * most recent `perRecorder` ids, far more than a recorder buffers while offline.
 *
 * Memory holds only each recorder's newest RECENT ids (a QoS 1 redelivery repeats a recent one);
 * an id not among them is looked up in LevelDB. Holding all 4096 cost ~600 kB per recorder, 3 GB
 * for 5000 recorders once each had sent that many events (bench/README.md, telemetry).
 */
import type { Db } from '../db.js';

/** Ids per recorder kept in memory. */
export const RECENT = 32;

interface Seen {
  /** The newest ids, oldest first, at most RECENT. */
  recent: string[];
  /** Rows stored for this recorder. */
  stored: number;
  /** Counter of the newest row (rows are pruned oldest counter first). */
  n: number;
}

export class SeenIds {
  readonly #db;
  readonly #mem = new Map<string, Promise<Seen>>();

  constructor(
    db: Db,
    private readonly perRecorder = 4096,
  ) {
    this.#db = db.sublevel<string, number>('seen-events', { valueEncoding: 'json' });
  }

  /**
   * `first` is true the first time (serial, id) is seen, which is remembered at once; `persisted`
   * settles when that is on disk. The caller handles the event meanwhile and awaits `persisted`
   * before the recorder's next event, so the id is durable without adding a write to the latency.
   * Calls for one recorder come one at a time (the ingest queue).
   */
  async firstTime(serial: string, id: string): Promise<{ first: boolean; persisted: Promise<void> }> {
    const s = await this.#load(serial);
    const known = () => ({ first: false, persisted: Promise.resolve() });
    if (s.recent.includes(id)) return known();
    if (s.stored > s.recent.length && (await this.#db.get(`${serial}!${id}`)) !== undefined) return known();
    if (s.recent.includes(id)) return known();
    s.recent.push(id);
    if (s.recent.length > RECENT) s.recent.shift();
    s.stored++;
    let persisted = this.#db.put(`${serial}!${id}`, ++s.n);
    if (s.stored > this.perRecorder) persisted = persisted.then(() => this.#prune(serial, s));
    return { first: true, persisted };
  }

  /** Ids held in memory, all recorders (tests, metrics). */
  async held(): Promise<number> {
    let n = 0;
    for (const s of this.#mem.values()) n += (await s).recent.length;
    return n;
  }

  /** Drops the oldest quarter at once, so this runs rarely. */
  async #prune(serial: string, s: Seen): Promise<void> {
    const rows = await this.#rows(serial);
    const drop = rows.slice(0, Math.max(rows.length - this.perRecorder, Math.ceil(this.perRecorder / 4)));
    await this.#db.batch(drop.map(([id]) => ({ type: 'del' as const, key: `${serial}!${id}` })));
    const gone = new Set(drop.map(([id]) => id));
    s.recent = s.recent.filter((id) => !gone.has(id));
    s.stored = rows.length - drop.length;
  }

  /** This recorder's stored rows, oldest first. */
  async #rows(serial: string): Promise<[string, number][]> {
    const rows: [string, number][] = [];
    for await (const [k, n] of this.#db.iterator({ gt: `${serial}!`, lt: `${serial}!\xff` })) {
      rows.push([k.slice(serial.length + 1), n]);
    }
    return rows.sort((a, b) => a[1] - b[1]);
  }

  #load(serial: string): Promise<Seen> {
    let p = this.#mem.get(serial);
    if (!p) {
      p = this.#rows(serial).then((rows) => ({
        recent: rows.slice(-RECENT).map((r) => r[0]),
        stored: rows.length,
        n: rows.at(-1)?.[1] ?? 0,
      }));
      this.#mem.set(serial, p);
    }
    return p;
  }
}
