/**
 * How an audit entry reads (R3): the actor as a person's display name or a named part of the
 * gateway (never a dock's device path), and the details as short `key: value` text (never raw JSON).
 */
import type { Translate } from '../../i18n/index.js';

const MAX_VALUE = 80;
const MAX_DETAILS = 400;

/** `dock:/dev/serial/by-id/…/dock3` → 采集站 dock3; `address:10.0.0.5` → 地址 10.0.0.5; user → display name. */
export function actorLabel(actor: string, names: ReadonlyMap<string, string>, t: Translate): string {
  if (actor === 'gateway' || actor === 'system') return t('audit.actor.gateway');
  const colon = actor.indexOf(':');
  if (colon > 0) {
    const kind = actor.slice(0, colon);
    const rest = actor.slice(colon + 1);
    if (kind === 'dock')
      return t('audit.actor.dock', { name: rest.split(/[\\/]/).filter(Boolean).pop() ?? rest });
    if (kind === 'address') return t('audit.actor.address', { address: rest });
    if (kind === 'recorder') return t('audit.actor.recorder', { serial: rest });
  }
  const name = names.get(actor);
  return name && name !== actor ? `${name}（${actor}）` : actor;
}

function valueText(v: unknown, depth: number): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v.length > MAX_VALUE ? `${v.slice(0, MAX_VALUE)}…` : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (v.length === 0) return '—';
    if (depth > 0 || v.some((x) => typeof x === 'object' && x !== null)) return `[${v.length}]`;
    return valueText(v.join(', '), depth);
  }
  if (typeof v === 'object') {
    if (depth > 0) return '{…}';
    const o = v as Record<string, unknown>;
    // A person reads as their name (and certificate number), not as an object.
    if (typeof o.name === 'string') return typeof o.certNo === 'string' ? `${o.name}（${o.certNo}）` : o.name;
    return Object.entries(o)
      .map(([k, x]) => `${k} ${valueText(x, depth + 1)}`)
      .join(', ');
  }
  return '';
}

export function detailsText(details: Record<string, unknown> | null | undefined): string {
  if (!details) return '';
  const text = Object.entries(details)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}: ${valueText(v, 0)}`)
    .join(' · ');
  return text.length > MAX_DETAILS ? `${text.slice(0, MAX_DETAILS)}…` : text;
}
