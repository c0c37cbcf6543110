/**
 * What a failed call says to the reader: the gateway's error code and its parameters rendered in
 * the reader's language, times in Asia/Shanghai. The server's own English message is never shown
 * (it is for logs); an unknown code is named, not paraphrased.
 */
import { hasKey, type Translate } from '../i18n/index.js';
import { fmtTime } from '../time.js';
import { ApiError } from './errors.js';

const TIME_PARAMS = new Set(['since', 'at', 'start', 'end', 'until']);

export function errorText(e: unknown, t: Translate): string {
  if (!(e instanceof ApiError)) {
    // fetch() itself failed: the gateway is down or unreachable ("Failed to fetch").
    return e instanceof TypeError ? t('error.NETWORK') : t('error.other', { code: 'CLIENT' });
  }
  const params: Record<string, string | number> = { code: e.code };
  for (const [k, v] of Object.entries(e.details ?? {})) {
    if (typeof v === 'string' || typeof v === 'number') params[k] = TIME_PARAMS.has(k) ? fmtTime(v) : v;
  }
  const variant = typeof e.details?.reason === 'string' ? `error.${e.code}.${e.details.reason}` : '';
  if (variant && hasKey(variant)) return t(variant, params);
  const key = `error.${e.code}`;
  if (hasKey(key)) {
    const text = t(key, params);
    // A template whose parameter the server did not send falls back to the plain code text.
    return /\{\w+\}/.test(text) ? t('error.other', { code: e.code }) : text;
  }
  return t('error.other', { code: e.code });
}
