/**
 * Order and de-duplication of each office's upstream messages (PROTOCOL.md §7.3), pure. An office's
 * outbox numbers messages 1, 2, 3… within an epoch and re-sends what was not acknowledged, so a
 * `seq` at or below the last one taken is a duplicate and dropped. One above the next expected is
 * taken and the missing count recorded (only a lost broker session loses messages: it is shown).
 * A new epoch (the office's data dir was replaced) starts over and is recorded too.
 */
export interface OfficeSequence {
  epoch: string;
  lastSeq: number;
  duplicates: number;
  /** Messages never seen (seq jumped over them). */
  missing: number;
  epochs: number;
}

export type Verdict =
  | { take: true; state: OfficeSequence; skipped: number; newEpoch: boolean }
  | { take: false; state: OfficeSequence };

export function sequence(prev: OfficeSequence | undefined, epoch: string, seq: number): Verdict {
  if (!prev || prev.epoch !== epoch) {
    const state: OfficeSequence = {
      epoch,
      lastSeq: seq,
      duplicates: prev?.duplicates ?? 0,
      missing: (prev?.missing ?? 0) + (seq - 1),
      epochs: (prev?.epochs ?? 0) + 1,
    };
    return { take: true, state, skipped: seq - 1, newEpoch: prev !== undefined };
  }
  if (seq <= prev.lastSeq) return { take: false, state: { ...prev, duplicates: prev.duplicates + 1 } };
  const skipped = seq - prev.lastSeq - 1;
  return {
    take: true,
    state: { ...prev, lastSeq: seq, missing: prev.missing + skipped },
    skipped,
    newEpoch: false,
  };
}
