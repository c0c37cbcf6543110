import { createHash } from 'node:crypto';

/**
 * Canonical JSON for hashing audit entries: JSON.stringify with object keys sorted (UTF-16 code
 * unit order) at every level, no whitespace, `undefined` members dropped — the shape of RFC 8785
 * (JCS) for the values we store (strings, finite numbers, booleans, null, arrays, objects). An
 * outside auditor can recompute every hash with any JCS implementation.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortDeep(value));
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortDeep(v);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new TypeError('canonicalJson: non-finite number');
  }
  return value;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
