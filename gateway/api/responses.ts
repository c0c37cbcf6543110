/**
 * The types of the API's responses and request bodies, and the few plain values the dashboard shows
 * (maintenance kinds): the dashboard's only import from the gateway, so a service can move or change
 * its internals without the browser bundle following it. Types only, except where said.
 */
export type { StoredAlert } from '../alerts/service.js';
export type { ClipArchiveView } from '../api/routes/clips.js';
export type { ArchiveStatus } from '../archive/service.js';
export type { CameraView } from '../cameras/registry.js';
export type { ImportReport } from '../cases/import.js';
export type { MyRecordings } from '../cases/my-recordings.js';
export type {
  CaseFilter,
  CaseRecord,
  CaseStage,
  CaseType,
  LinkTarget,
  RecordingLink,
} from '../cases/schema.js';
export type { CaseTimeline, TimelineItem } from '../cases/timeline.js';
export type { OfficeView } from '../central/ledger.js';
export type { ArchivedOriginal } from '../central/originals.js';
export type { OfficeSummary } from '../central/summary.js';
export type { ClipView } from '../clips/view.js';
export type { Breach } from '../compliance/breaches.js';
export type { ComplianceReport, Summary } from '../compliance/service.js';
export type { Checkpoint } from '../custody/checkpoint.js';
export type { Alert, AlertSeverity, EventName, GatewayEvents } from '../events.js';
export type {
  ExportRequestBody,
  ExportState,
  ExportView,
  RecipientKind,
  Sensitivity,
} from '../exports/schema.js';
export type { HistoryPoint, RecorderHealth } from '../fleet/health.js';
export type { MaintenanceEntry, MaintenanceKind } from '../fleet/maintenance.js';
export { MAINTENANCE_KINDS } from '../fleet/maintenance-kinds.js';
export type { PublicRecorder } from '../fleet/registry.js';
export type { HearingGap, HearingSummary, SegmentRow } from '../hearings/schemas.js';
export type { HearingView } from '../hearings/service.js';
export type { SweepState } from '../integrity/monitor.js';
export type { InterruptionRecord, InterruptionStatus } from '../interruptions/record.js';
export type { Assignment } from '../pairing/assignment.js';
export type { LostRecorder } from '../pairing/lost.js';
export type { Readiness } from '../pairing/readiness.js';
export type { DockedRecorder, PairResult } from '../pairing/service.js';
export type { PrerollStatus } from '../recording/warm-camera.js';
export type { Role } from '../roles.js';
export type { AuditEntry, ClipState } from '../store/index.js';
export type { PublicUser } from '../users.js';
