/**
 * Activity types of R9-R14; the recording list (R14) maps each to continuous or as-needed.
 * A plain list, free of zod, so the dashboard can offer it without bundling the schemas.
 */
export const ACTIVITIES = [
  'acceptance',
  'inquiry',
  'inspection',
  'evidence-collection',
  'sampling',
  'testing',
  'preservation',
  'seizure',
  'notice-of-rights',
  'hearing',
  'expert-review',
  'decision',
  'service',
  'execution',
  'on-site-enforcement',
  'archiving',
  'other',
] as const;
