/**
 * Kinds of maintenance-log entry (R21). No imports on purpose: the dashboard bundles this list for
 * its form, and must not pull in anything else of the gateway.
 */
export const MAINTENANCE_KINDS = [
  'inspection',
  'repair',
  'battery-replaced',
  'firmware-update',
  'cleaning',
  'issued',
  'returned',
  'retired',
  'other',
] as const;
