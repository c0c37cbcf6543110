/**
 * Case stages for the "case stage with no recording" check (R26 (1), R9–R13): each stage a case
 * went through, from its stage history, with the recordings linked to the case in that stage.
 */
import type { Officer } from '../../protocol/common.js';
import type { CaseService } from '../cases/service.js';
import type { CaseStageSource } from './collect.js';
import type { CaseStageFact } from './facts.js';

export function caseStageSource(
  cases: Pick<CaseService, 'list' | 'linksOf'>,
  displayName: (username: string) => Promise<string | null>,
): CaseStageSource {
  return {
    async stages(from: number, to: number): Promise<CaseStageFact[]> {
      const out: CaseStageFact[] = [];
      const names = new Map<string, Officer>();
      for (const c of await cases.list({ limit: Number.MAX_SAFE_INTEGER })) {
        const hist = c.stageHistory.map((h) => ({ stage: h.stage, at: Date.parse(h.at) }));
        // Only cases that left a stage in the period matter; most cases are skipped here.
        if (!hist.some((h, i) => i > 0 && h.at >= from && h.at < to)) continue;
        const links = await cases.linksOf(c.caseNo);
        const officers: Officer[] = [];
        for (const u of c.officers) {
          let o = names.get(u);
          if (!o) {
            o = { id: u, name: (await displayName(u)) ?? u, certNo: '-' };
            names.set(u, o);
          }
          officers.push(o);
        }
        for (const [i, h] of hist.entries()) {
          out.push({
            caseNo: c.caseNo,
            stage: h.stage,
            enteredAt: h.at,
            leftAt: hist[i + 1]?.at ?? null,
            officers,
            recordings: links
              .filter((l) => l.stage === h.stage)
              .map((l) => (l.target.kind === 'hearing' ? l.target.hearingId : l.target.sessionId)),
          });
        }
      }
      return out;
    },
  };
}
