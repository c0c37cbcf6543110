/** UTF-8 helpers without Buffer, so protocol/ also runs in the dashboard's browser bundle. */

export const utf8Encoder = new TextEncoder();
/** Rejects malformed UTF-8 (used for JSON bodies). */
export const utf8StrictDecoder = new TextDecoder('utf-8', { fatal: true });
/** Replaces malformed UTF-8 with U+FFFD (used for ERROR texts, which are only logged). */
export const utf8LenientDecoder = new TextDecoder('utf-8');

export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
