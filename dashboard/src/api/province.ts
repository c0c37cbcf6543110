/** `gateway central`'s read-only routes (gateway/central/routes.ts), typed from the gateway's own types. */
import type { Checkpoint, OfficeSummary, OfficeView, StoredAlert } from '../../../gateway/api/responses.js';
import { request } from './client.js';

export type { OfficeSummary };

export interface ProvinceOverview {
  connected: boolean;
  messages: number;
  duplicates: number;
  rejected: number;
  offices: OfficeSummary[];
  alerts: StoredAlert[];
}

export type OfficeDetail = OfficeView & { summary: OfficeSummary; held: Checkpoint | null };

export const provinceApi = {
  overview: () => request<ProvinceOverview>('GET', '/api/central/offices'),
  office: (id: string) => request<OfficeDetail>('GET', `/api/central/offices/${encodeURIComponent(id)}`),
};
