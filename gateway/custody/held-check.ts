/**
 * Checks today's log against checkpoints held off the box (FORMATS.md §2): each one's signature,
 * then an RFC 9162 §2.1.4 consistency proof from its tree to today's. When one fails, names the
 * first entry that differs: exactly, from a copy of the log lines a witness kept (whose own tree
 * must give the checkpoint's root, so the copy is proven authentic), otherwise as the narrowest
 * seq range the held checkpoints allow (after the largest that holds, up to the smallest that fails).
 */
import type { AuditTree } from './audit-tree.js';
import { type Checkpoint, verifyCheckpointSignature } from './checkpoint.js';
import { fromHex, toHex, type Verdict, verifyConsistency } from './merkle.js';
import type { PublicKey } from './signing-key.js';

export interface HeldCheck {
  /** Where the checkpoint came from (a file, `leveldb`, a witness directory). */
  source: string;
  checkpoint: Checkpoint;
  /** `skipped` when no key was at hand. */
  signature: Verdict | 'skipped';
  consistency: Verdict;
  ok: boolean;
}

export interface Difference {
  /** First differing entry: exact (from a held copy of the lines) or a range. */
  fromSeq: number;
  toSeq: number;
  exact: boolean;
  /** removed: today's entry at that position is the held copy's next one; altered: otherwise. */
  kind?: 'removed' | 'altered' | 'inserted';
  held?: EntrySummary;
  today?: EntrySummary;
  /** What the statement rests on (which checkpoints, which copy). */
  basis: string;
}

export interface EntrySummary {
  seq: number;
  at?: string;
  type?: string;
  actor?: string;
  subject?: string;
  hash?: string;
  /** The line as it is (bounded). */
  line: string;
}

/** One held checkpoint against today's tree. */
export function checkHeld(
  tree: AuditTree,
  source: string,
  cp: Checkpoint,
  key: PublicKey | undefined,
): HeldCheck {
  const signature = key ? verifyCheckpointSignature(cp, key) : 'skipped';
  let consistency: Verdict;
  if (cp.treeSize > tree.size) {
    consistency = {
      ok: false,
      reason: `the log holds ${tree.size} entries, the checkpoint fixes ${cp.treeSize}: entries were cut off`,
    };
  } else {
    const proof = tree.consistencyProof(cp.treeSize, tree.size);
    consistency = verifyConsistency(cp.treeSize, tree.size, fromHex(cp.rootHash)!, tree.root(), proof);
  }
  const sigOk = signature === 'skipped' || signature.ok;
  return { source, checkpoint: cp, signature, consistency, ok: sigOk && consistency.ok };
}

/**
 * Where the first difference lies, given the checks of every held checkpoint and, optionally, held
 * copies of the log lines (a witness's audit.jsonl) as trees. Undefined when nothing failed.
 */
export async function firstDifference(
  tree: AuditTree,
  checks: readonly HeldCheck[],
  copies: readonly { source: string; tree: AuditTree }[] = [],
): Promise<Difference | undefined> {
  // Only signed (or unsigned-but-unchecked) checkpoints bound the range; a bad signature proves nothing.
  const usable = checks.filter((c) => c.signature === 'skipped' || c.signature.ok);
  const failing = usable
    .filter((c) => !c.consistency.ok)
    .sort((a, b) => a.checkpoint.treeSize - b.checkpoint.treeSize);
  if (failing.length === 0) return undefined;
  const holding = usable
    .filter((c) => c.consistency.ok)
    .sort((a, b) => b.checkpoint.treeSize - a.checkpoint.treeSize);
  const upper = failing[0]!.checkpoint;
  const lower = holding.find((c) => c.checkpoint.treeSize < upper.treeSize)?.checkpoint;
  const from = (lower?.treeSize ?? 0) + 1;
  const to = upper.treeSize;

  for (const copy of copies) {
    if (copy.tree.size < upper.treeSize || toHex(copy.tree.root(upper.treeSize)) !== upper.rootHash) continue;
    // The copy is authentic up to `upper` (its root is the signed one): compare leaf by leaf.
    const limit = Math.min(upper.treeSize, tree.size);
    let i = from - 1;
    while (i < limit && Buffer.compare(copy.tree.leafHash(i), tree.leafHash(i)) === 0) i++;
    const seq = i + 1;
    const held = await summarize(copy.tree, seq);
    const today = seq <= tree.size ? await summarize(tree, seq) : undefined;
    const next = seq < copy.tree.size ? await summarize(copy.tree, seq + 1) : undefined;
    const todayNext = seq < tree.size ? await summarize(tree, seq + 1) : undefined;
    let kind: Difference['kind'] = 'altered';
    if (!today || (next && sameContent(next, today))) kind = 'removed';
    else if (todayNext && sameContent(held, todayNext)) kind = 'inserted';
    return {
      fromSeq: seq,
      toSeq: seq,
      exact: true,
      kind,
      ...(held ? { held } : {}),
      ...(today ? { today } : {}),
      basis: `held copy ${copy.source}, proven by checkpoint of ${upper.treeSize} entries`,
    };
  }
  return {
    fromSeq: from,
    toSeq: to,
    exact: from === to,
    basis: lower
      ? `entries 1..${lower.treeSize} agree with a checkpoint; the one of ${upper.treeSize} entries does not`
      : `the checkpoint of ${upper.treeSize} entries does not hold; no smaller one does`,
  };
}

async function summarize(tree: AuditTree, seq: number): Promise<EntrySummary> {
  const raw = (await tree.leafInput(seq)).toString('utf8');
  const line = raw.length > 600 ? `${raw.slice(0, 600)}…` : raw;
  const out: EntrySummary = { seq, line };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return out; // not JSON: the line itself is the summary
  }
  // Whatever fields of an entry it has (a forged line need not be a valid entry), bounded.
  if (json && typeof json === 'object') {
    for (const k of ['at', 'type', 'actor', 'subject', 'hash'] as const) {
      const v = (json as Record<string, unknown>)[k];
      if (typeof v === 'string') out[k] = v.slice(0, 200);
    }
  }
  return out;
}

/** Same event (time, type, actor, subject, details), whatever its seq and chain hashes. */
function sameContent(a: EntrySummary, b: EntrySummary): boolean {
  const body = (s: EntrySummary) => {
    try {
      const { seq: _s, hash: _h, prevHash: _p, ...rest } = JSON.parse(s.line) as Record<string, unknown>;
      return JSON.stringify(rest);
    } catch {
      return s.line;
    }
  };
  return body(a) === body(b);
}
