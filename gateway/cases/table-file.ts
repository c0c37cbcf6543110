/**
 * Reading a uploaded case list (CSV or XLSX) into rows of text cells. The file is hostile: its size
 * is bounded before anything is read, an XLSX (a ZIP) is refused when its declared unpacked size
 * is beyond a bound (a few KiB can unpack to gigabytes), and row and cell counts are capped.
 */
import ExcelJS from 'exceljs';
import { GatewayError } from '../errors.js';

export interface Table {
  format: 'csv' | 'xlsx';
  /** Row 1 is the header; each row's cells as text ('' when empty). */
  rows: { rowNo: number; cells: string[] }[];
}

export interface TableLimits {
  maxBytes: number;
  maxRows: number;
  /** Sum of the ZIP entries' declared uncompressed sizes. */
  maxUnpackedBytes?: number;
}

const MAX_CELLS = 50;
const MAX_CELL_CHARS = 2000;

export async function readTable(bytes: Uint8Array, limits: TableLimits): Promise<Table> {
  if (bytes.length === 0) throw new GatewayError('BAD_REQUEST', 'the file is empty');
  if (bytes.length > limits.maxBytes) {
    throw new GatewayError('PAYLOAD_TOO_LARGE', `a case list may be at most ${limits.maxBytes} bytes`);
  }
  const isZip = bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
  return isZip ? readXlsx(bytes, limits) : readCsv(decodeText(bytes), limits);
}

/** UTF-8 (a BOM is dropped); otherwise GB18030, what Excel in a Chinese locale saves CSV as. */
export function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}

/** RFC 4180: quoted fields with "" escapes and line breaks; CRLF or LF; `,` (or `;`/tab if the header says so). */
export function readCsv(text: string, limits: Pick<TableLimits, 'maxRows'>): Table {
  const firstLine = text.slice(0, text.search(/\r?\n|$/));
  const sep = [',', ';', '\t'].reduce(
    (best, s) => (count(firstLine, s) > count(firstLine, best) ? s : best),
    ',',
  );
  const rows: Table['rows'] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let rowNo = 1;
  const endRow = () => {
    cells.push(cell);
    if (cells.some((c) => c.trim() !== '')) rows.push({ rowNo, cells: bound(cells) });
    if (rows.length > limits.maxRows + 1) {
      throw new GatewayError('PAYLOAD_TOO_LARGE', `a case list may have at most ${limits.maxRows} rows`);
    }
    cells = [];
    cell = '';
    rowNo++;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === sep) {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRow();
    } else cell += ch;
  }
  if (cell !== '' || cells.length > 0) endRow();
  return { format: 'csv', rows };
}

async function readXlsx(bytes: Uint8Array, limits: TableLimits): Promise<Table> {
  const unpacked = zipDeclaredSize(bytes);
  const maxUnpacked = limits.maxUnpackedBytes ?? limits.maxBytes * 40;
  if (unpacked === null)
    throw new GatewayError('BAD_REQUEST', 'not a readable XLSX file (bad ZIP directory)');
  if (unpacked > maxUnpacked) {
    throw new GatewayError(
      'PAYLOAD_TOO_LARGE',
      `the XLSX unpacks to ${unpacked} bytes (at most ${maxUnpacked})`,
    );
  }
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(Buffer.from(bytes) as unknown as ArrayBuffer);
  } catch {
    throw new GatewayError('BAD_REQUEST', 'not a readable XLSX file');
  }
  const ws = wb.worksheets[0];
  if (!ws) throw new GatewayError('BAD_REQUEST', 'the XLSX file has no worksheet');
  if (ws.actualRowCount > limits.maxRows + 1) {
    throw new GatewayError('PAYLOAD_TOO_LARGE', `a case list may have at most ${limits.maxRows} rows`);
  }
  const rows: Table['rows'] = [];
  ws.eachRow({ includeEmpty: false }, (row, rowNo) => {
    const cells: string[] = [];
    const n = Math.min(row.cellCount, MAX_CELLS);
    for (let c = 1; c <= n; c++) cells.push(cellText(row.getCell(c).value));
    if (cells.some((x) => x.trim() !== '')) rows.push({ rowNo, cells: bound(cells) });
  });
  return { format: 'xlsx', rows };
}

function cellText(v: ExcelJS.CellValue): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('richText' in v) return v.richText.map((t) => t.text).join('');
    if ('text' in v && typeof v.text === 'string') return v.text;
    if ('result' in v) return cellText(v.result as ExcelJS.CellValue);
    return '';
  }
  return String(v);
}

function bound(cells: string[]): string[] {
  return cells.slice(0, MAX_CELLS).map((c) => c.slice(0, MAX_CELL_CHARS));
}

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

/**
 * Sum of the uncompressed sizes the ZIP's central directory declares (PKWARE APPNOTE 4.3.12,
 * 4.3.16); null when there is no readable directory. It bounds what an ordinary file unpacks to;
 * an entry lying about its size is still inflated before the unzipper notices the mismatch, so the
 * upload bound (maxBytes) is the hard limit and this one keeps ordinary bombs out.
 */
export function zipDeclaredSize(b: Uint8Array): number | null {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  const entries = view.getUint16(eocd + 10, true);
  let p = view.getUint32(eocd + 16, true);
  let total = 0;
  for (let n = 0; n < entries; n++) {
    if (p + 46 > b.length || view.getUint32(p, true) !== 0x02014b50) return null;
    const size = view.getUint32(p + 24, true);
    if (size === 0xffffffff) return Number.MAX_SAFE_INTEGER; // ZIP64: far beyond any case list
    total += size;
    p += 46 + view.getUint16(p + 28, true) + view.getUint16(p + 30, true) + view.getUint16(p + 32, true);
  }
  return total;
}
