import { z } from 'zod';

/** The users of REQUIREMENTS.md "Who uses it". Each API route declares which of these may call it (R24). */
export const Role = z.enum([
  'equipment-manager',
  'officer',
  'hearing-staff',
  'legal-affairs',
  'principal',
  'auditor',
]);
export type Role = z.infer<typeof Role>;
export const ALL_ROLES: readonly Role[] = Role.options;
/** Legal-affairs office, principal and auditors: they supervise, so they may read every record (Art. 22, 24). */
export const SUPERVISORS: readonly Role[] = ['legal-affairs', 'principal', 'auditor'];
