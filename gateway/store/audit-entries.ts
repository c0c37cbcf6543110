/**
 * The audit log's entries read straight from its file (the source of truth, store/audit-log.ts),
 * not from the index copy a damaged index may have lost. Lines that do not parse are skipped:
 * `gateway verify` is what reports them.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isErrno } from './errors.js';
import { AuditEntry, type AuditType } from './schema.js';

export async function* auditEntriesFromFile(
  file: string,
  types: ReadonlySet<AuditType>,
): AsyncGenerator<AuditEntry> {
  const input = createReadStream(file);
  const opened = new Promise<boolean>((resolve, reject) => {
    input.once('open', () => resolve(true));
    input.once('error', (err) => (isErrno(err, 'ENOENT') ? resolve(false) : reject(err)));
  });
  if (!(await opened)) return;
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    // The type is near the start of a canonical line: most lines are skipped without parsing.
    if (![...types].some((t) => line.includes(`"type":"${t}"`))) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      continue;
    }
    const e = AuditEntry.safeParse(json);
    if (e.success && types.has(e.data.type)) yield e.data;
  }
}
