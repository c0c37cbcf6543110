/**
 * Command line for custody: `gateway key show`, `gateway checkpoint`, `gateway verify` (read-only,
 * `--checkpoint FILE` any number) and `gateway repair` (the audited counterpart that cuts a torn
 * last line and rolls the index forward — what `verify` never does).
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { AdminRequest } from '../admin/protocol.js';
import type { GatewayConfig } from '../config.js';
import type { VerifyReport } from '../store/verify.js';
import type { Difference, EntrySummary } from './held-check.js';
import type { OfflineVerifyReport } from './offline-verify.js';
import { groupFingerprint, SigningKey } from './signing-key.js';

export interface CliContext {
  config: () => Promise<GatewayConfig>;
  /** Through the running gateway's admin socket, or offline on the data dir. */
  admin: (req: AdminRequest) => Promise<unknown>;
}

/** The custody service and the receipt (pdfkit) load only for the commands that use them: the CLI starts quickly. */
export async function keyFileOf(config: GatewayConfig): Promise<string> {
  const { defaultKeyFile } = await import('./service.js');
  return config.custody.keyFile ?? defaultKeyFile(resolve(config.dataDir));
}

export function registerCustodyCommands(program: Command, ctx: CliContext): void {
  const key = program.command('key').description('the checkpoint signing key (Ed25519)');
  key
    .command('show')
    .description('print the public key and its fingerprint (made on first use) for legal affairs to record')
    .option('--json', 'print gateway-key.json (FORMATS.md §2)')
    .action(async (o: { json?: boolean }) => {
      const config = await ctx.config();
      const file = await keyFileOf(config);
      const { key: k } = await SigningKey.loadOrCreate(file);
      const pub = k.public;
      if (o.json) {
        console.log(JSON.stringify(pub.toJson(), null, 2));
        return;
      }
      console.log('网关签名公钥 Gateway signing key (Ed25519)');
      console.log(`gateway id:   ${config.custody.gatewayId}`);
      console.log(`key file:     ${file}`);
      console.log(`public key:   ${pub.raw.toString('base64')}`);
      console.log(`fingerprint:  ${groupFingerprint(pub.fingerprint)}`);
      console.log('(fingerprint = SHA-256 of the raw 32-byte public key; write it down and file it)');
      console.log(pub.toPem().trimEnd());
    });

  program
    .command('checkpoint')
    .description('sign a checkpoint of the audit log now and send it to every witness')
    .option('-r, --reason <text>', 'why (recorded in the audit entry)', 'on demand (cli)')
    .action(async (o: { reason: string }) =>
      console.log(JSON.stringify(await ctx.admin({ command: 'checkpoint', reason: o.reason }), null, 2)),
    );

  program
    .command('verify')
    .description(
      're-hash every stored clip, check the audit chain, and prove the log consistent with held checkpoints; read-only; exit 1 on any fault',
    )
    .option('--checkpoint <file...>', 'a checkpoint held off the box (any number)')
    .option(
      '--key <file>',
      'public key to check signatures with (gateway-key.json or PEM); default: the gateway key',
    )
    .option(
      '--mirror <file...>',
      "a held copy of the log's lines (default: audit.jsonl beside each checkpoint)",
    )
    .option('--json', 'print the full report as JSON')
    .action(async (o: { checkpoint?: string[]; key?: string; mirror?: string[]; json?: boolean }) => {
      // Paths are the caller's: the gateway behind the socket has another working directory.
      const abs = (files?: string[]) => files?.map((f) => resolve(f));
      const r = (await ctx.admin({
        command: 'verify',
        checkpoints: abs(o.checkpoint),
        keyFile: o.key ? resolve(o.key) : undefined,
        mirrors: abs(o.mirror),
      })) as OfflineVerifyReport;
      if (o.json) {
        const { store, ok, ...custody } = r;
        console.log(JSON.stringify({ ...store, ok, custody }, null, 2));
      } else {
        const { shanghaiTime } = await import('./receipt.js');
        for (const line of offlineVerifyLines(r, shanghaiTime)) console.log(printable(line));
      }
      if (!r.ok) process.exitCode = 1;
    });

  program
    .command('repair')
    .description(
      'cut a torn last line of the audit log and roll the index forward, audited (verify never writes)',
    )
    .option('--by <name>', 'who is repairing, for the audit log')
    .action(async (o: { by?: string }) =>
      console.log(JSON.stringify(await ctx.admin({ command: 'repair', by: o.by }), null, 2)),
    );
}

export function offlineVerifyLines(r: OfflineVerifyReport, shanghaiTime: (iso: string) => string): string[] {
  const out = storeLines(r.store);
  out.push(`LOG ${r.treeSize} entries, root ${r.rootHash}`);
  if (r.store.audit.tornTail) {
    const t = r.store.audit.tornTail;
    out.push(
      `AUDIT torn last line at byte ${t.offset} (${t.bytes} bytes, an interrupted write): run gateway repair`,
    );
  }
  if (r.key) out.push(`KEY ${groupFingerprint(r.key.fingerprint)} (${r.key.source})`);
  for (const u of r.unreadable) out.push(`CHECKPOINT ${u.source}: UNREADABLE: ${u.reason}`);
  for (const h of r.held) {
    const cp = h.checkpoint;
    const what = `${cp.origin}, ${cp.treeSize} entries, ${shanghaiTime(cp.at)} Asia/Shanghai`;
    if (h.ok) {
      out.push(`CHECKPOINT ${h.source}: OK (${what}): entries 1..${cp.treeSize} are unchanged`);
      continue;
    }
    if (h.signature !== 'skipped' && !h.signature.ok) {
      out.push(`CHECKPOINT ${h.source}: BAD SIGNATURE (${what}): ${h.signature.reason}`);
    }
    if (!h.consistency.ok) {
      out.push(`CHECKPOINT ${h.source}: LOG DIFFERS (${what}): ${h.consistency.reason}`);
    }
  }
  if (r.difference) out.push(...differenceLines(r.difference));
  out.push(r.ok ? 'RESULT: OK' : 'RESULT: FAULTS FOUND');
  return out;
}

function differenceLines(d: Difference): string[] {
  const desc = (e: EntrySummary | undefined) =>
    e
      ? `${e.type ?? '?'} ${e.subject ?? ''} by ${e.actor ?? '?'} at ${e.at ?? '?'} (hash ${e.hash ?? '?'})`
      : 'nothing';
  if (!d.exact || !d.held) {
    return [
      `FIRST DIFFERENCE between entries ${d.fromSeq} and ${d.toSeq} (${d.basis}); a held copy of the log lines names it exactly`,
    ];
  }
  const kind = d.kind === 'removed' ? 'REMOVED' : d.kind === 'inserted' ? 'INSERTED BEFORE' : 'ALTERED';
  return [
    `FIRST DIFFERENCE: entry seq ${d.fromSeq} ${kind} (${d.basis})`,
    `  held:  ${desc(d.held)}`,
    `  today: ${desc(d.today)}`,
  ];
}

/** One line per finding of the store checks, naming the blob, clip or audit entry precisely. */
export function storeLines(r: VerifyReport): string[] {
  const s = r.summary;
  const out = [
    `${r.ok ? 'OK' : 'FAULTS FOUND'}: ${s.blobsChecked} blobs re-hashed for ${s.clips} clips, ${s.auditEntries} audit entries checked`,
  ];
  for (const a of r.blobs.altered)
    out.push(`ALTERED blob ${a.path} (clip ${a.clipId}): expected sha256 ${a.expected}, got ${a.actual}`);
  for (const m of r.blobs.missing)
    out.push(`MISSING blob ${m.path} (clip ${m.clipId}), sha256 ${m.expected}`);
  for (const o of r.blobs.orphans) out.push(`ORPHAN ${o.kind} ${o.path}: not in the index`);
  for (const m of r.blobs.missingSidecars) out.push(`MISSING sidecar for ${m.blob} (clip ${m.clipId})`);
  for (const u of r.blobs.unreadableSidecars) out.push(`UNREADABLE sidecar ${u.path}: ${u.error}`);
  for (const m of r.blobs.sidecarMismatches)
    out.push(`SIDECAR ${m.path} (clip ${m.clipId}) differs from the index in: ${m.fields.join(', ')}`);
  for (const w of r.blobs.writable) out.push(`WRITABLE original ${w.path} (mode ${w.mode})`);
  for (const m of r.audit.modified)
    out.push(`AUDIT entry seq ${m.seq} (line ${m.line}) modified: ${m.reason}`);
  for (const b of r.audit.brokenLinks)
    out.push(
      `AUDIT broken link at seq ${b.seq} (line ${b.line}): prevHash ${b.prevHash}, expected ${b.expectedPrevHash}`,
    );
  for (const m of r.audit.missing) out.push(`AUDIT entries ${m.fromSeq}..${m.toSeq} missing (${m.reason})`);
  for (const m of r.audit.malformed) out.push(`AUDIT line ${m.line} malformed: ${m.error}`);
  for (const o of r.audit.outOfOrder)
    out.push(`AUDIT seq ${o.seq} (line ${o.line}) out of order after ${o.afterSeq}`);
  return out;
}

/** Held files are outside text: no control characters (terminal escapes) reach the terminal. */
export function printable(line: string): string {
  return line.replace(/[\p{Cc}]/gu, (c) =>
    c === '\n' ? '\n' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
