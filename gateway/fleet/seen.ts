/**
 * Event ids already processed, per recorder (PROTOCOL.md §2.2: receivers de-duplicate on
 * (serial, id)). Persisted so a replay after a gateway restart is still recognised; bounded to the
 * most recent `perRecorder` ids, far more than a recorder buffers while offline.
 */
import type { Db } from '../db.js';

interface Seen {
  ids: Set<string>;
  /** Insertion order, oldest first, for pruning. */
  order: string[];
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
   */
  async firstTime(serial: string, id: string): Promise<{ first: boolean; persisted: Promise<void> }> {
    const s = await this.#load(serial);
    if (s.ids.has(id)) return { first: false, persisted: Promise.resolve() };
    s.ids.add(id);
    s.order.push(id);
    const batch = this.#db.batch();
    batch.put(`${serial}!${id}`, ++s.n);
    if (s.order.length > this.perRecorder) {
      // Prune a quarter at once so this runs rarely.
      const drop = s.order.splice(0, Math.ceil(this.perRecorder / 4));
      for (const old of drop) {
        s.ids.delete(old);
        batch.del(`${serial}!${old}`);
      }
    }
    return { first: true, persisted: batch.write() };
  }

  #load(serial: string): Promise<Seen> {
    let p = this.#mem.get(serial);
    if (!p) {
      p = (async () => {
        const rows: [string, number][] = [];
        for await (const [k, n] of this.#db.iterator({ gt: `${serial}!`, lt: `${serial}!\xff` })) {
          rows.push([k.slice(serial.length + 1), n]);
        }
        rows.sort((a, b) => a[1] - b[1]);
        return {
          ids: new Set(rows.map((r) => r[0])),
          order: rows.map((r) => r[0]),
          n: rows.at(-1)?.[1] ?? 0,
        };
      })();
      this.#mem.set(serial, p);
    }
    return p;
  }
}
