/** Maintenance log (R21: dedicated staff keep, maintain and register the recording devices). */
import { z } from 'zod';
import { type Db, SYNCED, timeSortableId } from '../db.js';
import { MAINTENANCE_KINDS } from './maintenance-kinds.js';

export const MaintenanceKind = z.enum(MAINTENANCE_KINDS);

export const MaintenanceInput = z.object({
  kind: MaintenanceKind,
  text: z.string().trim().min(1).max(2000),
  /** When the work was done (ms epoch); defaults to now. */
  at: z.number().int().min(0).optional(),
});
export type MaintenanceInput = z.infer<typeof MaintenanceInput>;

export const MaintenanceEntry = MaintenanceInput.extend({
  id: z.string(),
  serial: z.string(),
  at: z.number().int(),
  by: z.string(),
  recordedAt: z.string(),
});
export type MaintenanceEntry = z.infer<typeof MaintenanceEntry>;

export class MaintenanceLog {
  readonly #db;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.#db = db.sublevel<string, MaintenanceEntry>('maintenance', { valueEncoding: 'json' });
  }

  async add(serial: string, input: MaintenanceInput, by: string): Promise<MaintenanceEntry> {
    const now = this.now();
    const at = input.at ?? now;
    const id = timeSortableId(at, 3);
    const entry: MaintenanceEntry = {
      ...input,
      id,
      serial,
      at,
      by,
      recordedAt: new Date(now).toISOString(),
    };
    await this.#db.put(`${serial}!${id}`, entry, SYNCED);
    return entry;
  }

  /** Newest first. */
  async list(serial: string, limit = 200): Promise<MaintenanceEntry[]> {
    const out: MaintenanceEntry[] = [];
    for await (const v of this.#db.values({ gt: `${serial}!`, lt: `${serial}!\xff`, reverse: true, limit })) {
      out.push(v);
    }
    return out;
  }
}
