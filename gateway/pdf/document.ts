/**
 * PDF documents in Chinese (custody receipts, evidence manifests): pdfkit with a CJK font from the
 * system (Debian `fonts-wqy-microhei`, installed by `.ci/system-deps.sh`; `fonts-noto-cjk` also
 * works). Without a CJK font the text would print as empty boxes, so a missing font is an error
 * with a code, not a silent fallback.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { GatewayError } from '../errors.js';

const CANDIDATES: { file: string; family?: string }[] = [
  { file: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', family: 'WenQuanYiMicroHei' },
  { file: '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc', family: 'WenQuanYiZenHei' },
  { file: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
];

let cached: { file: string; family?: string } | undefined;

/** The CJK font used for every PDF: `GATEWAY_PDF_FONT` (a .ttf/.otf/.ttc path) wins, then known paths, then fontconfig. */
export function cjkFont(): { file: string; family?: string } {
  cached ??= findCjkFont();
  return cached;
}

function findCjkFont(): { file: string; family?: string } {
  const env = process.env.GATEWAY_PDF_FONT;
  if (env && existsSync(env)) return { file: env };
  for (const c of CANDIDATES) if (existsSync(c.file)) return c;
  try {
    const out = execFileSync('fc-match', ['-f', '%{file}\n%{postscriptname}', ':lang=zh'], {
      encoding: 'utf8',
    });
    const [file, family] = out.split('\n');
    if (file && existsSync(file) && /\.(ttf|otf|ttc)$/i.test(file)) return { file, family };
  } catch {
    // fontconfig absent: fall through to the error
  }
  throw new GatewayError('UNAVAILABLE', 'no CJK font for PDF documents: install fonts-wqy-microhei');
}

export type Pdf = InstanceType<typeof PDFDocument>;

let parsedFont: { layout?: unknown } | undefined;

/** A new A4 document with the CJK font selected as `cjk`; `render` draws, the result is the file's bytes. */
export async function renderPdf(
  info: { title: string; subject?: string },
  render: (doc: Pdf) => void | Promise<void>,
): Promise<Buffer> {
  const font = cjkFont();
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    info: { Title: info.title, Subject: info.subject ?? '', Producer: 'enforcement-edge-gateway' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((res, rej) => {
    doc.on('end', () => res(Buffer.concat(chunks)));
    doc.on('error', rej);
  });
  // The parsed font (fontkit's object, which pdfkit takes as a source) is kept: parsing the 5 MB
  // collection again for every document cost 0.2–1 s each, serially before an evidence disc.
  const src = (parsedFont ?? font.file) as string;
  if (font.family) doc.registerFont('cjk', src, font.family);
  else doc.registerFont('cjk', src);
  doc.font('cjk');
  parsedFont ??= (doc as unknown as { _font?: { font?: { layout?: unknown } } })._font?.font;
  await render(doc);
  doc.end();
  return done;
}

/** Draws `text` as a QR code (error correction M) with its top-left corner at (x, y), `size` points wide. */
export function drawQr(doc: Pdf, text: string, x: number, y: number, size: number): void {
  const qr = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = qr.modules.size;
  const quiet = 4;
  const cell = size / (n + 2 * quiet);
  doc.save();
  doc.rect(x, y, size, size).fill('#ffffff');
  doc.fillColor('#000000');
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.modules.get(r, c)) doc.rect(x + (c + quiet) * cell, y + (r + quiet) * cell, cell, cell);
    }
  }
  doc.fill();
  doc.restore();
}
