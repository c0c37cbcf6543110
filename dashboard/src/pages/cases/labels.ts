/** Colours of the case stages (R9–R13), in order. */
export const STAGE_COLOR: Record<string, string> = {
  'application-acceptance': 'default',
  investigation: 'processing',
  'review-decision': 'gold',
  'service-execution': 'purple',
  'closing-archiving': 'green',
};

/** Comma, 、 or ; separated names as a list. */
export function splitNames(v: string | undefined): string[] {
  return (v ?? '')
    .split(/[,，、;；\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);
}
