/**
 * Importing a unit's existing case list (CSV or XLSX). Row 1 names the columns (Chinese or English
 * headers); every other row is one case, checked whole before it is written: a row with any bad
 * cell is reported (row number, column, why) and nothing of it is kept; the good rows go in, each
 * one `case-admin` audit entry (action `import`).
 */
import { z } from 'zod';
import type { GatewayConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import { scrub } from '../scrub.js';
import { CaseInput, CaseStage, CaseType, normaliseCaseNo } from './schema.js';
import type { Actor, CaseService } from './service.js';
import { readTable } from './table-file.js';

/** Why a row was refused, for the dashboard's own words; `reason` says it in English. */
export const ImportErrorCode = z.enum([
  'required',
  'exists',
  'duplicate',
  'format',
  'type',
  'stage',
  'officer',
  'invalid',
  'refused',
]);
export type ImportErrorCode = z.infer<typeof ImportErrorCode>;

export const ImportRowError = z.object({
  row: z.number().int(),
  /** The column's header as written in the file ('' when the row as a whole is refused). */
  column: z.string(),
  code: ImportErrorCode,
  reason: z.string(),
  /** The offending value (scrubbed, bounded), or the earlier row of a duplicate. */
  value: z.string().optional(),
});
export type ImportRowError = z.infer<typeof ImportRowError>;

export interface ImportReport {
  format: 'csv' | 'xlsx';
  rows: number;
  imported: string[];
  errors: ImportRowError[];
  dryRun: boolean;
}

type Field = 'caseNo' | 'type' | 'title' | 'unit' | 'officers' | 'parties' | 'stage';

/** Header words per field, normalised (lower case, no spaces). */
const HEADERS: Record<Field, string[]> = {
  caseNo: ['案件编号', '案号', '编号', 'caseno', 'casenumber', 'case'],
  type: ['案件类型', '类型', 'type'],
  title: ['案件名称', '名称', '案由', 'title'],
  unit: ['承办单位', '单位', '处室', 'unit'],
  officers: ['执法人员', '承办人', '人员', 'officers', 'officer'],
  parties: ['当事人', 'parties', 'party'],
  stage: ['阶段', '办理阶段', 'stage'],
};
const REQUIRED: Field[] = ['caseNo', 'type', 'title'];

const TYPE_WORDS: Record<string, CaseType> = {
  行政许可: 'licensing',
  许可: 'licensing',
  行政处罚: 'penalty',
  处罚: 'penalty',
  其他执法: 'other-enforcement',
  其他: 'other-enforcement',
  其他行政执法: 'other-enforcement',
};
const STAGE_WORDS: Record<string, CaseStage> = {
  申请受理: 'application-acceptance',
  受理: 'application-acceptance',
  调查: 'investigation',
  调查取证: 'investigation',
  审查决定: 'review-decision',
  审查: 'review-decision',
  决定: 'review-decision',
  送达执行: 'service-execution',
  送达: 'service-execution',
  执行: 'service-execution',
  结案归档: 'closing-archiving',
  结案: 'closing-archiving',
  归档: 'closing-archiving',
};

const LIST_SEP = /[,，、;；\s]+/;

export class CaseImporter {
  constructor(
    private readonly cases: CaseService,
    private readonly config: GatewayConfig['cases'],
  ) {}

  async importFile(
    a: Actor,
    bytes: Uint8Array,
    opts: { unit?: string | undefined; dryRun?: boolean; contentType?: string | undefined } = {},
  ): Promise<ImportReport> {
    const table = await readTable(bytes, {
      maxBytes: this.config.importMaxBytes,
      maxRows: this.config.importMaxRows,
    });
    const [header, ...body] = table.rows;
    if (!header) throw new GatewayError('BAD_REQUEST', 'the file has no header row');
    const cols = mapHeader(header.cells);
    const missing = REQUIRED.filter((f) => cols[f] === undefined);
    if (!opts.unit && cols.unit === undefined) missing.push('unit');
    if (missing.length > 0) {
      throw new GatewayError('BAD_REQUEST', `the header row lacks the column(s): ${missing.join(', ')}`, {
        missing,
        expected: Object.fromEntries(missing.map((f) => [f, HEADERS[f][0]])),
      });
    }
    const report: ImportReport = {
      format: table.format,
      rows: body.length,
      imported: [],
      errors: [],
      dryRun: !!opts.dryRun,
    };
    const seen = new Map<string, number>();
    for (const { rowNo, cells } of body) {
      const errs: ImportRowError[] = [];
      const cell = (f: Field) => {
        const i = cols[f];
        return i === undefined ? '' : (cells[i] ?? '').trim();
      };
      const colName = (f: Field) => {
        const i = cols[f];
        return i === undefined ? f : scrub(header.cells[i], { max: 40 });
      };
      const input = {
        caseNo: cell('caseNo'),
        type: word(cell('type'), TYPE_WORDS, CaseType.options),
        title: cell('title'),
        unit: cell('unit') || opts.unit || '',
        officers: split(cell('officers')),
        parties: split(cell('parties')),
        ...(cell('stage') ? { stage: word(cell('stage'), STAGE_WORDS, CaseStage.options) } : {}),
      };
      const parsed = CaseInput.safeParse(input);
      if (!parsed.success) {
        // One error per column: the first reason, naming every bad list item (officers, parties).
        const byField = new Map<Field, { message: string; items: string[] }>();
        for (const issue of parsed.error.issues) {
          const f = issue.path[0] as Field;
          const e = byField.get(f) ?? { message: issue.message, items: [] };
          const item = typeof issue.path[1] === 'number' ? (input[f] as string[])[issue.path[1]] : undefined;
          if (item !== undefined) e.items.push(item);
          byField.set(f, e);
        }
        for (const [f, e] of byField) {
          errs.push({ row: rowNo, column: colName(f), ...reasonOf(f, e.message, input, e.items) });
        }
      } else {
        try {
          this.cases.checkNumber(parsed.data.caseNo, parsed.data.unit);
        } catch (e) {
          errs.push({
            row: rowNo,
            column: colName('caseNo'),
            code: 'format',
            reason: (e as Error).message,
            value: scrub(parsed.data.caseNo, { max: 64 }),
          });
        }
        const key = normaliseCaseNo(parsed.data.caseNo);
        const dup = seen.get(key);
        if (dup !== undefined) {
          const reason = `same case number as row ${dup}`;
          errs.push({ row: rowNo, column: colName('caseNo'), code: 'duplicate', reason, value: String(dup) });
        } else if (await this.cases.get(key)) {
          const value = scrub(parsed.data.caseNo, { max: 64 });
          errs.push({
            row: rowNo,
            column: colName('caseNo'),
            code: 'exists',
            reason: 'already registered',
            value,
          });
        }
        seen.set(key, dup ?? rowNo);
      }
      if (errs.length > 0 || !parsed.success) {
        report.errors.push(...errs);
        continue;
      }
      if (opts.dryRun) {
        report.imported.push(parsed.data.caseNo);
        continue;
      }
      try {
        const rec = await this.cases.create(a, parsed.data, 'import');
        report.imported.push(rec.caseNo);
      } catch (e) {
        report.errors.push({
          row: rowNo,
          column: '',
          code: 'refused',
          reason: scrub((e as Error).message, { max: 200 }),
        });
      }
    }
    return report;
  }
}

function mapHeader(cells: string[]): Partial<Record<Field, number>> {
  const out: Partial<Record<Field, number>> = {};
  cells.forEach((raw, i) => {
    const h = raw
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[\s_\-*]/g, '');
    for (const [f, words] of Object.entries(HEADERS) as [Field, string[]][]) {
      if (out[f] === undefined && words.includes(h)) out[f] = i;
    }
  });
  return out;
}

/** A Chinese word or the English value itself; anything else is left for the schema to refuse. */
function word<T extends string>(v: string, words: Record<string, T>, values: readonly T[]): string {
  const k = v.normalize('NFKC').trim();
  return words[k] ?? (values.includes(k.toLowerCase() as T) ? k.toLowerCase() : k);
}

function split(v: string): string[] {
  return v ? v.split(LIST_SEP).filter((x) => x !== '') : [];
}

function reasonOf(
  f: Field,
  message: string,
  input: Record<string, unknown>,
  items: string[],
): Pick<ImportRowError, 'code' | 'reason' | 'value'> {
  const shown = (v: unknown) => scrub(Array.isArray(v) ? v.join('、') : v, { max: 40 });
  if (items.length > 0 && f === 'officers') {
    return {
      code: 'officer',
      reason: `not an officer username (2-32 of a-z 0-9 . _ -): ${shown(items)}`,
      value: shown(items),
    };
  }
  if (items.length > 0)
    return { code: 'invalid', reason: `${message}: ${shown(items)}`, value: shown(items) };
  if (f === 'type') {
    return {
      code: 'type',
      reason: `unknown case type "${shown(input.type)}" (行政许可, 行政处罚, 其他执法)`,
      value: shown(input.type),
    };
  }
  if (f === 'stage') {
    return {
      code: 'stage',
      reason: `unknown stage "${shown(input.stage)}" (受理, 调查, 审查决定, 送达执行, 结案归档)`,
      value: shown(input.stage),
    };
  }
  if (input[f] === '' || input[f] === undefined) return { code: 'required', reason: 'required' };
  return { code: 'invalid', reason: message, value: shown(input[f]) };
}
