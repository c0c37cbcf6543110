/**
 * The media type of a stored original, from its first bytes (blobs are content-addressed and carry
 * no file name): MP4/ISO-BMFF has `ftyp` at offset 4, QuickTime the same with the major brand
 * `qt  ` (a hearing camera's G.711 kept as sent), MPEG-TS a 0x47 sync byte every 188 bytes.
 */
import { open } from 'node:fs/promises';

export async function sniffContentType(path: string): Promise<string> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(189);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return contentTypeOf(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

export function contentTypeOf(head: Uint8Array): string {
  const b = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (b.length >= 8 && b.toString('latin1', 4, 8) === 'ftyp')
    return b.length >= 12 && b.toString('latin1', 8, 12) === 'qt  ' ? 'video/quicktime' : 'video/mp4';
  if (b.length >= 189 && b[0] === 0x47 && b[188] === 0x47) return 'video/mp2t';
  return 'application/octet-stream';
}

const EXTENSIONS: Record<string, string> = {
  'video/mp4': '.mp4',
  'video/quicktime': '.mov',
  'video/mp2t': '.ts',
};

export function extensionFor(contentType: string): string {
  return EXTENSIONS[contentType] ?? '.bin';
}
