/** Shapes of the compliance API (the gateway's own types, imported type-only: no runtime code). */
import type { Breach, ComplianceReport, Summary } from '../../../gateway/api/responses.js';

export type ComplianceSummary = Summary;
export type ComplianceReportView = ComplianceReport;
export type BreachView = Breach;
