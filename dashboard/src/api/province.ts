/** `gateway central`'s read-only routes (gateway/central/routes.ts), typed from the gateway's own types. */
import type { StoredAlert } from '../../../gateway/alerts/service.js';
import type { OfficeView } from '../../../gateway/central/ledger.js';
import type { OfficeSummary } from '../../../gateway/central/summary.js';
import type { Checkpoint } from '../../../gateway/custody/checkpoint.js';
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
