/**
 * What the pages consume. Where the gateway exports a type for a response it comes through
 * gateway/api/responses.ts, the dashboard's one import from the gateway (type-only: nothing of the
 * gateway is bundled but the plain list of maintenance kinds); the rest are the dashboard's view of
 * responses, adapted in client.ts.
 */

import type { z } from 'zod';
import type {
  Alert,
  AlertSeverity,
  ArchiveStatus,
  Assignment,
  AuditEntry,
  ClipArchiveView,
  ClipState,
  ClipView,
  DockedRecorder,
  ExportRequestBody,
  ExportState,
  ExportView,
  HistoryPoint as HealthHistoryPoint,
  HearingGap,
  HearingSummary,
  HearingView,
  InterruptionRecord,
  InterruptionStatus,
  LostRecorder,
  MaintenanceEntry,
  MaintenanceKind,
  PairResult,
  PrerollStatus,
  PublicRecorder,
  PublicUser,
  Readiness,
  RecipientKind,
  RecorderHealth,
  CameraView as RegistryCameraView,
  Role,
  SegmentRow,
  Sensitivity,
  StoredAlert,
  SweepState,
} from '../../../gateway/api/responses.js';
import type { Activity, Officer, RecorderState, StopCause } from '../../../protocol/common.js';

/** A camera as `GET /api/cameras` gives it: the registry's view and its pre-roll cache state. */
export type CameraView = RegistryCameraView & { preroll: PrerollStatus | null };
export type {
  Activity,
  Alert,
  AlertSeverity,
  ArchiveStatus,
  Assignment,
  ClipArchiveView,
  ClipState,
  ClipView,
  ExportState,
  ExportView,
  HearingGap,
  HearingSummary,
  HearingView,
  InterruptionStatus,
  LostRecorder,
  MaintenanceEntry,
  Officer,
  PairResult,
  PublicRecorder,
  PublicUser,
  Readiness,
  RecipientKind,
  RecorderHealth,
  RecorderState,
  Role,
  SegmentRow,
  Sensitivity,
  StopCause,
  StoredAlert,
  SweepState,
};

/** GET /api/integrity (gateway/api/routes/integrity.ts). */
export interface IntegrityView {
  sweep: SweepState;
  failures: StoredAlert[];
}

/** R19 record: recorder or hearing camera; start/end are epoch ms. */
export type Interruption = InterruptionRecord;

export interface LoginResponse {
  token: string;
  user: PublicUser;
  expiresAt: string;
}

/** GET /api/recorders item: registry entry + live health (gateway/api/routes/recorders.ts). */
export type RecorderListItem = PublicRecorder & {
  health: RecorderHealth | null;
  rejected: { payloads: number; acl: number };
};

/** One row of the fleet table (R21), flattened from RecorderListItem by the client. */
export interface RecorderView {
  serial: string;
  model?: string;
  unit?: string;
  custodian?: string;
  online: boolean;
  state: RecorderState | null;
  lastSeen: string | null;
  batteryPct: number | null;
  charging: boolean;
  /** Time left at the current draw (forecast), ms. */
  batteryLeftMs: number | null;
  storageFreeBytes: number | null;
  storageTotalBytes: number | null;
  storageLeftMs: number | null;
  clockOffsetMs: number | null;
  firmware: string | null;
  firmwareOutdated: boolean;
  officer: Officer | null;
  /** Device faults (code -> message). */
  faults: { code: string; message: string }[];
  /** Health rules holding now (battery-low, recorder-offline...). */
  conditions: string[];
  rejectedPayloads: number;
}

export type HistoryPoint = HealthHistoryPoint;
export type MaintenanceKindValue = (typeof MaintenanceKind.options)[number];

/** GET /api/recorders/:serial?hours= */
export interface RecorderDetail {
  view: RecorderView;
  history: HistoryPoint[];
  maintenance: MaintenanceEntry[];
  interruptions: InterruptionRecord[];
}

/** A docked recorder with its readiness forecast for the shift (GET /api/pairings/docked). */
export type DockSlotView = DockedRecorder;

/** What the clip search takes (GET /api/clips); times are UTC ISO. */
export interface ClipQuery {
  serial?: string;
  officerId?: string;
  caseNo?: string;
  state?: ClipState;
  from?: string;
  to?: string;
}

export type AuditEntryView = AuditEntry;

/** GET /api/rooms item (gateway/api/routes/cameras.ts). */
export interface RoomApi {
  id: string;
  name: string;
  cameras: string[];
  activeSession: { id: string; caseNo: string; startedAt: number } | null;
}

/** A room with its cameras and its current (or last) hearing session, composed by the client. */
export interface RoomView {
  id: string;
  name: string;
  cameras: CameraView[];
  session: HearingView | null;
}

/** POST /api/exports (what the request form sends; defaults filled in by the gateway). */
export type ExportRequestInput = z.input<typeof ExportRequestBody>;

/** A signed checkpoint of the audit log (gateway/custody/FORMATS.md §2). */
export type { Checkpoint } from '../../../gateway/api/responses.js';
/** GET /api/custody/key: gateway-key.json plus the fingerprint in groups of four and the PEM. */
export interface CustodyKeyView {
  v: 1;
  alg: 'Ed25519';
  publicKey: string;
  fingerprint: string;
  fingerprintGrouped: string;
  pem: string;
}
