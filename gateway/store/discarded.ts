/**
 * Partial transfers set aside (discarded/, ClipStore.setAsidePartial) are kept and logged (R25).
 * The file is moved first and logged after; a crash in between would leave it unlogged, so the
 * store logs any such file when it opens, marked `recovered`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { AuditLog } from './audit-log.js';
import { isErrno } from './errors.js';
import { hashFile } from './hash-file.js';
import type { StoreLayout } from './layout.js';

/** What setAsidePartial writes beside the file (`<file>.json`); only what recovery needs. */
const DiscardNote = z.object({
  clipId: z.string().min(1),
  reason: z.string().optional(),
  source: z.object({ kind: z.string(), id: z.string() }).optional(),
});

/** Subject of a set-aside file whose note is missing or unreadable (the clip is then unknown). */
export const STRAY_DISCARD_SUBJECT = 'store:discarded';

export async function auditStrayDiscards(
  layout: StoreLayout,
  audit: AuditLog,
  log?: Logger,
): Promise<number> {
  let names: string[];
  try {
    names = await readdir(layout.discardedDir);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return 0;
    throw err;
  }
  let logged = 0;
  for (const name of names.filter((n) => n.endsWith('.part')).sort()) {
    const path = join(layout.discardedDir, name);
    const rel = layout.rel(path);
    const note = await readNote(`${path}.json`);
    const subject = note ? `clip:${note.clipId}` : STRAY_DISCARD_SUBJECT;
    const known = await audit.bySubject(subject);
    if (known.some((e) => e.type === 'partial-discarded' && e.details.path === rel)) continue;
    const { sha256, bytes } = await hashFile(path);
    await audit.append({
      type: 'partial-discarded',
      actor: 'gateway',
      subject,
      details: {
        recovered: true,
        reason: note?.reason ?? 'set aside before a crash; its note is missing',
        ...(note?.source ? { source: `${note.source.kind}:${note.source.id}` } : {}),
        keptSha256: sha256,
        keptBytes: bytes,
        path: rel,
      },
    });
    log?.warn({ path: rel, subject }, 'set-aside partial found without its audit entry: logged now');
    logged++;
  }
  return logged;
}

async function readNote(path: string): Promise<z.infer<typeof DiscardNote> | undefined> {
  try {
    return DiscardNote.safeParse(JSON.parse(await readFile(path, 'utf8'))).data;
  } catch {
    return undefined; // missing or torn by the crash
  }
}
