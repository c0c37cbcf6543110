/** Export records in LevelDB (sublevel `exports`), keyed by id (time-sortable: newest last). */
import { type Db, SYNCED } from '../db.js';
import { ExportRecord } from './schema.js';

export class ExportRepo {
  readonly #sub;

  constructor(db: Db) {
    this.#sub = db.sublevel<string, ExportRecord>('exports', { valueEncoding: 'json' });
  }

  async get(id: string): Promise<ExportRecord | undefined> {
    const raw = await this.#sub.get(id);
    return raw === undefined ? undefined : ExportRecord.parse(raw);
  }

  async put(r: ExportRecord): Promise<void> {
    await this.#sub.put(r.id, r, SYNCED);
  }

  /** Newest first. */
  async *newestFirst(): AsyncGenerator<ExportRecord> {
    for await (const r of this.#sub.values({ reverse: true })) yield ExportRecord.parse(r);
  }
}
