/** Gathers a case's timeline from the services that hold its facts (placeholder: stage changes). */
import type { CaseRecord } from './schema.js';

export interface CaseTimelines {
  of(c: CaseRecord): Promise<unknown>;
}

export const stageOnlyTimelines: CaseTimelines = {
  of: async (c) => ({ caseNo: c.caseNo, items: c.stageHistory.map((s) => ({ kind: 'stage', ...s })) }),
};
