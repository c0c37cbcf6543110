/** `gateway central`'s read-only routes (gateway/central/routes.ts), typed from the gateway's own types. */
import type {
  ArchivedOriginal,
  Checkpoint,
  OfficeSummary,
  OfficeView,
  StoredAlert,
} from '../../../gateway/api/responses.js';
import { request } from './client.js';

export type { ArchivedOriginal, OfficeSummary };

export interface ProvinceOverview {
  connected: boolean;
  messages: number;
  duplicates: number;
  rejected: number;
  offices: OfficeSummary[];
  alerts: StoredAlert[];
}

export type OfficeDetail = OfficeView & { summary: OfficeSummary; held: Checkpoint | null };

export interface OfficeOriginals {
  office: string;
  /** Central has the archive's bucket configured: originals can be opened. */
  readable: boolean;
  originals: ArchivedOriginal[];
  next: string | null;
}

const enc = encodeURIComponent;

export const provinceApi = {
  originals: (office: string, after?: string) =>
    request<OfficeOriginals>(
      'GET',
      `/api/central/offices/${enc(office)}/originals?limit=50${after ? `&after=${enc(after)}` : ''}`,
    ),
  /** R24: central logs who opened it and why before the first byte. */
  originalUrl: (office: string, clipId: string, action: 'view' | 'download', reason: string) =>
    `/api/central/offices/${enc(office)}/originals/${enc(clipId)}/content?action=${action}&reason=${enc(reason)}`,
  overview: () => request<ProvinceOverview>('GET', '/api/central/offices'),
  office: (id: string) => request<OfficeDetail>('GET', `/api/central/offices/${encodeURIComponent(id)}`),
};
