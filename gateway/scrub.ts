/**
 * Text that crosses from a camera or from ffmpeg into our API responses, logs or audit entries is
 * hostile: it may carry a camera's credentials (ffmpeg prints its input URL, userinfo included, in
 * its errors; an RTSP or HTTP exchange echoes Authorization fields) and it has no length bound.
 * Every such crossing goes through `scrub` (or a `Scrubber` bound to the camera's password):
 * - userinfo in any URL (`rtsp://user:pw@host`) becomes `***@`;
 * - Authorization / Proxy-Authorization / WWW-Authenticate header values, `Basic`/`Digest`/`Bearer`
 *   credentials and digest fields (`response=`, `nonce=`, `cnonce=`, `password=`) become `***`;
 * - the configured secrets themselves, raw and URL-encoded, wherever they appear;
 * - control characters are replaced, and the result is cut to `max` characters.
 */

export interface ScrubOptions {
  /** Exact secrets to remove (a camera's password); empty or very short ones are skipped. */
  secrets?: readonly (string | null | undefined)[];
  /** Pairs [from, to] replaced first (e.g. a one-time relay URL by the camera's public URL). */
  replace?: readonly (readonly [string, string])[];
  /** Length of the result (default 500). */
  max?: number;
}

export type Scrubber = (text: unknown) => string;

const MASK = '***';
/** Work on at most this much input; the cut-off tail never reaches the (shorter) result. */
const INPUT_CAP = 16_384;
const DEFAULT_MAX = 500;
/** A secret shorter than this is not searched for (it would erase ordinary text). */
const MIN_SECRET = 3;

const USERINFO = /\b([a-z][a-z0-9+.-]{0,30}:\/\/)[^\s/?#@"'<>]*@/gi;
const AUTH_HEADER = /\b((?:proxy-)?authorization|www-authenticate|proxy-authenticate)(\s*[:=]\s*)[^\r\n]*/gi;
const AUTH_SCHEME = /\b(basic|digest|bearer)\s+[^\s,;]{4,}[^\r\n]*/gi;
const AUTH_FIELD =
  /\b(response|nonce|cnonce|password|passwd|pwd|secret|token)(\s*[=:]\s*)("[^"]*"|[^\s,;&]+)/gi;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function scrub(text: unknown, opts: ScrubOptions = {}): string {
  const max = Math.max(16, Math.min(opts.max ?? DEFAULT_MAX, INPUT_CAP - 1024));
  let s = toText(text);
  const forms = (opts.secrets ?? [])
    .filter((x): x is string => typeof x === 'string' && x.length >= MIN_SECRET)
    .flatMap((x) => [x, encodeURIComponent(x), encodeURI(x)]);
  if (s.length > INPUT_CAP) s = dropPartialSecret(s.slice(0, INPUT_CAP), forms);
  for (const [from, to] of opts.replace ?? []) if (from) s = s.split(from).join(to);
  // Secrets first: a password may hold characters that stop the URL pattern early.
  for (const form of new Set(forms)) s = s.split(form).join(MASK);
  s = s
    .replace(USERINFO, `$1${MASK}@`)
    .replace(AUTH_HEADER, `$1$2${MASK}`)
    .replace(AUTH_SCHEME, `$1 ${MASK}`)
    .replace(AUTH_FIELD, `$1$2${MASK}`)
    .replace(CONTROL, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A scrubber bound to one camera's secret (and optional replacements). */
export function scrubberFor(opts: ScrubOptions): Scrubber {
  return (text) => scrub(text, opts);
}

/** The input cap may cut a secret in half: its first part is not left at the end. */
function dropPartialSecret(s: string, forms: readonly string[]): string {
  for (const form of forms) {
    for (let k = Math.min(form.length - 1, s.length); k >= 1; k--) {
      if (s.endsWith(form.slice(0, k))) {
        s = s.slice(0, -k);
        break;
      }
    }
  }
  return s;
}

function toText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Error) return v.message;
  if (v === null || v === undefined) return '';
  try {
    return typeof v === 'object' ? JSON.stringify(v) : String(v);
  } catch {
    return String(v);
  }
}
