/**
 * Compliance (R26) and statistics (R7): the summary the principal and the legal-affairs office
 * land on, the month's report as JSON, PDF and XLSX, and the archived monthly reports.
 */
import { z } from 'zod';
import { MonthText, monthOf } from '../../compliance/period.js';
import type { ComplianceReport, ComplianceService } from '../../compliance/service.js';
import { GatewayError } from '../../errors.js';
import { type Role, SUPERVISORS } from '../../roles.js';
import type { Api } from '../server.js';

/** Archiving a report is the office's act (the principal or legal affairs); auditors read. */
export const REPORT_ARCHIVERS: readonly Role[] = ['legal-affairs', 'principal'];

const MonthQuery = z.object({ month: MonthText.optional() });
const ArchiveBody = z.object({ month: MonthText });
const Ext = z.enum(['pdf', 'xlsx', 'json']);

const TYPES = {
  pdf: 'application/pdf',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  json: 'application/json',
} as const;

const file = (name: string, ext: z.infer<typeof Ext>, bytes: Buffer) =>
  new Response(new Uint8Array(bytes), {
    headers: {
      'content-type': TYPES[ext],
      'content-disposition': `${ext === 'pdf' ? 'inline' : 'attachment'}; filename="${name}"`,
      'cache-control': 'private, no-store',
    },
  });

export interface ComplianceRouteDeps {
  compliance: ComplianceService;
  renderPdf: (r: ComplianceReport) => Promise<Buffer>;
  renderXlsx: (r: ComplianceReport) => Promise<Buffer>;
  now?: () => number;
}

export function complianceRoutes(api: Api, d: ComplianceRouteDeps): void {
  const month = (q: { month?: string | undefined }) => q.month ?? monthOf((d.now ?? Date.now)());
  api.route(
    { method: 'get', path: '/api/compliance/summary', roles: SUPERVISORS, query: MonthQuery },
    ({ query }) => d.compliance.summary(month(query)),
  );
  api.route(
    { method: 'get', path: '/api/compliance/report', roles: SUPERVISORS, query: MonthQuery },
    ({ query }) => d.compliance.report(month(query)),
  );
  api.route(
    { method: 'get', path: '/api/compliance/report.pdf', roles: SUPERVISORS, query: MonthQuery },
    async ({ query }) => {
      const m = month(query);
      return file(`compliance-${m}.pdf`, 'pdf', await d.renderPdf(await d.compliance.report(m)));
    },
  );
  api.route(
    { method: 'get', path: '/api/compliance/report.xlsx', roles: SUPERVISORS, query: MonthQuery },
    async ({ query }) => {
      const m = month(query);
      return file(`compliance-${m}.xlsx`, 'xlsx', await d.renderXlsx(await d.compliance.report(m)));
    },
  );
  api.route({ method: 'get', path: '/api/compliance/archive', roles: SUPERVISORS }, () =>
    d.compliance.archived(),
  );
  api.route(
    { method: 'post', path: '/api/compliance/archive', roles: REPORT_ARCHIVERS, body: ArchiveBody },
    ({ body, user }) => d.compliance.archive(body.month, user.username),
  );
  api.route(
    { method: 'get', path: '/api/compliance/archive/:month/:ext', roles: SUPERVISORS },
    async ({ params }) => {
      const m = MonthText.safeParse(params.month);
      const ext = Ext.safeParse(params.ext);
      if (!m.success || !ext.success)
        throw new GatewayError('BAD_REQUEST', 'month is YYYY-MM, file is pdf, xlsx or json');
      return file(
        `compliance-${m.data}.${ext.data}`,
        ext.data,
        await d.compliance.archivedFile(m.data, ext.data),
      );
    },
  );
}
