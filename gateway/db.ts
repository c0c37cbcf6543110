import { Level } from 'level';

/** One LevelDB per gateway; each service takes its own sublevels (batches across them stay atomic). */
export type Db = Level<string, unknown>;

export async function openDb(path: string): Promise<Db> {
  const db = new Level<string, unknown>(path, { valueEncoding: 'json' });
  await db.open();
  return db;
}
