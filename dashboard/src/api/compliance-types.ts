/** Shapes of the compliance API (the gateway's own types, imported type-only: no runtime code). */
import type { Breach } from '../../../gateway/compliance/breaches.js';
import type { ComplianceReport, Summary } from '../../../gateway/compliance/service.js';

export type ComplianceSummary = Summary;
export type ComplianceReportView = ComplianceReport;
export type BreachView = Breach;
