/** The case registry's routes (gateway/api/routes/cases.ts), typed from the gateway's schemas. */
import type {
  CaseFilter,
  CaseRecord,
  CaseStage,
  CaseTimeline,
  CaseType,
  ImportReport,
  LinkTarget,
  MyRecordings,
  RecordingLink,
  TimelineItem,
} from '../../../gateway/api/responses.js';
import type { Activity } from '../../../protocol/common.js';
import { qs, request } from './client.js';
import { ApiError } from './errors.js';

export type {
  CaseRecord,
  CaseStage,
  CaseTimeline,
  CaseType,
  ImportReport,
  LinkTarget,
  MyRecordings,
  TimelineItem,
};
export const CASE_STAGES: CaseStage[] = [
  'application-acceptance',
  'investigation',
  'review-decision',
  'service-execution',
  'closing-archiving',
];
export const CASE_TYPES: CaseType[] = ['licensing', 'penalty', 'other-enforcement'];

const enc = encodeURIComponent;

export interface NewCase {
  caseNo: string;
  type: CaseType;
  title: string;
  unit: string;
  officers: string[];
  parties: string[];
  stage?: CaseStage;
}

export const casesApi = {
  list: (f: Partial<Record<keyof CaseFilter, string | number>>) =>
    request<CaseRecord[]>('GET', `/api/cases${qs(f)}`),
  get: (caseNo: string) => request<CaseRecord>('GET', `/api/cases/${enc(caseNo)}`),
  create: (c: NewCase) => request<CaseRecord>('POST', '/api/cases', c),
  update: (caseNo: string, patch: Partial<Omit<NewCase, 'caseNo' | 'stage'>>) =>
    request<CaseRecord>('PATCH', `/api/cases/${enc(caseNo)}`, patch),
  moveStage: (caseNo: string, stage: CaseStage, note?: string) =>
    request<CaseRecord>('POST', `/api/cases/${enc(caseNo)}/stage`, { stage, ...(note ? { note } : {}) }),
  timeline: (caseNo: string) => request<CaseTimeline>('GET', `/api/cases/${enc(caseNo)}/timeline`),
  /** No activity: each recording keeps the one it was recorded as. */
  tag: (caseNo: string, targets: LinkTarget[], stage: CaseStage, activity?: Activity) =>
    request<RecordingLink[]>('POST', `/api/cases/${enc(caseNo)}/links`, {
      targets,
      stage,
      ...(activity ? { activity } : {}),
    }),
  mine: () => request<MyRecordings>('GET', '/api/my/recordings'),
  /** The file goes up as it is (CSV or XLSX bytes); the gateway bounds and parses it. */
  importFile: async (file: File, opts: { unit?: string; dryRun?: boolean }): Promise<ImportReport> => {
    const res = await fetch(
      `/api/cases/import${qs({ unit: opts.unit, dryRun: opts.dryRun ? 'true' : undefined })}`,
      {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': file.type || 'application/octet-stream' },
        body: file,
      },
    );
    const json = (await res.json().catch(() => undefined)) as
      | (ImportReport & { error?: { code: string; message: string; details?: Record<string, unknown> } })
      | undefined;
    if (!res.ok) {
      throw new ApiError(
        res.status,
        json?.error?.code ?? `HTTP_${res.status}`,
        json?.error?.message ?? res.statusText,
        json?.error?.details,
      );
    }
    return json as ImportReport;
  },
};
