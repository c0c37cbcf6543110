import { z } from 'zod';

/** The users of REQUIREMENTS.md "Who uses it". Each API route declares which of these may call it (R24). */
export const Role = z.enum([
  'equipment-manager',
  'officer',
  'hearing-staff',
  'legal-affairs',
  'principal',
  'auditor',
  /** The provincial bureau's staff on `gateway central`: every office, read-only (PROTOCOL.md §7.3). */
  'provincial',
]);
export type Role = z.infer<typeof Role>;
export const ALL_ROLES: readonly Role[] = Role.options;
/** Everyone who works at an office (the provincial role signs in to `gateway central` only). */
export const OFFICE_ROLES: readonly Role[] = ALL_ROLES.filter((r) => r !== 'provincial');
/** Legal-affairs office, principal and auditors: they supervise, so they may read every record (Art. 22, 24). */
export const SUPERVISORS: readonly Role[] = ['legal-affairs', 'principal', 'auditor'];
