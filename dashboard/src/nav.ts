/** Which pages each role sees (REQUIREMENTS "Who uses it"); the API enforces the same on its side. */
import type { Role } from './api/types.js';
import type { MessageKey } from './i18n/index.js';

export type PageId =
  | 'summary'
  | 'fleet'
  | 'alerts'
  | 'dock'
  | 'hearings'
  | 'interruptions'
  | 'overdue'
  | 'audit'
  | 'clips'
  | 'exports'
  | 'cases'
  | 'mine'
  | 'users'
  | 'registry'
  | 'cameras'
  | 'province';

export interface NavItem {
  id: PageId;
  path: string;
  label: MessageKey;
  roles: readonly Role[];
}

export const NAV: readonly NavItem[] = [
  // First: the principal's and legal affairs' landing page (R7, R26).
  { id: 'summary', path: '/summary', label: 'nav.summary', roles: ['legal-affairs', 'principal', 'auditor'] },
  { id: 'fleet', path: '/fleet', label: 'nav.fleet', roles: ['equipment-manager'] },
  {
    id: 'alerts',
    path: '/alerts',
    label: 'nav.alerts',
    roles: ['equipment-manager', 'legal-affairs', 'principal'],
  },
  { id: 'dock', path: '/dock', label: 'nav.dock', roles: ['officer'] },
  { id: 'hearings', path: '/hearings', label: 'nav.hearings', roles: ['hearing-staff'] },
  // Hearing staff see the hearings they started, to tag and explain (R19); officers their shifts.
  { id: 'mine', path: '/mine', label: 'nav.mine', roles: ['officer', 'hearing-staff'] },
  {
    id: 'interruptions',
    path: '/interruptions',
    label: 'nav.interruptions',
    roles: ['legal-affairs', 'principal'],
  },
  { id: 'overdue', path: '/overdue', label: 'nav.overdue', roles: ['legal-affairs', 'principal'] },
  { id: 'clips', path: '/clips', label: 'nav.clips', roles: ['legal-affairs', 'principal', 'auditor'] },
  {
    id: 'exports',
    path: '/exports',
    label: 'nav.exports',
    roles: ['legal-affairs', 'principal', 'auditor', 'officer'],
  },
  {
    id: 'cases',
    path: '/cases',
    label: 'nav.cases',
    roles: ['legal-affairs', 'principal', 'auditor', 'officer'],
  },
  { id: 'audit', path: '/audit', label: 'nav.audit', roles: ['legal-affairs', 'principal', 'auditor'] },
  // R21: the equipment manager registers recorders and rotates their credentials.
  { id: 'registry', path: '/registry', label: 'nav.registry', roles: ['equipment-manager'] },
  // R21: hearing-room cameras, administered as the API's CAMERA_ADMINS (gateway/api/routes/cameras.ts).
  { id: 'cameras', path: '/cameras', label: 'nav.cameras', roles: ['equipment-manager'] },
  // R24: the legal-affairs office sets access rights (gateway/api/routes/users.ts USER_ADMINS).
  { id: 'users', path: '/users', label: 'nav.users', roles: ['legal-affairs'] },
  // `gateway central` only: every office, read-only.
  { id: 'province', path: '/province', label: 'nav.province', roles: ['provincial'] },
];

export function navFor(roles: readonly Role[]): NavItem[] {
  return NAV.filter((n) => n.roles.some((r) => roles.includes(r)));
}
