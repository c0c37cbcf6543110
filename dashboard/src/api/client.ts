/**
 * The one typed client for the gateway's HTTP API. Every page calls the gateway through here, so
 * when a route's shape changes only this file changes. Auth is the HttpOnly `gw_session` cookie set
 * by POST /api/login (same origin), so no token is kept in JS.
 */
import type { ComplianceReportView, ComplianceSummary } from './compliance-types.js';
import { ApiError } from './errors.js';
import type {
  Activity,
  ArchiveStatus,
  Assignment,
  AuditEntryView,
  CameraView,
  Checkpoint,
  ClipArchiveView,
  ClipQuery,
  ClipView,
  CustodyKeyView,
  DockSlotView,
  ExportRequestInput,
  ExportView,
  HearingView,
  HistoryPoint,
  IntegrityView,
  Interruption,
  InterruptionStatus,
  LoginResponse,
  LostRecorder,
  MaintenanceEntry,
  MaintenanceKindValue,
  Officer,
  PairResult,
  PublicRecorder,
  PublicUser,
  RecorderDetail,
  RecorderHealth,
  RecorderListItem,
  RecorderView,
  Role,
  RoomApi,
  RoomView,
  SegmentRow,
  StoredAlert,
} from './types.js';

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when any request comes back 401 (session expired): the app shows the login page. */
export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    // The gateway is down or unreachable (the browser's "Failed to fetch"): a code, not its words.
    throw new ApiError(0, 'NETWORK', 'gateway unreachable');
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } })
      ?.error;
    if (res.status === 401 && path !== '/api/login') for (const fn of unauthorizedListeners) fn();
    throw new ApiError(
      res.status,
      err?.code ?? (res.status === 404 ? 'NOT_FOUND' : `HTTP_${res.status}`),
      err?.message ?? (text.slice(0, 200) || res.statusText),
      err?.details,
    );
  }
  return json as T;
}

export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

const enc = encodeURIComponent;
const msOrNull = (s: number | null | undefined) => (s === null || s === undefined ? null : s * 1000);

export function toRecorderView(r: RecorderListItem, officer: Officer | null = null): RecorderView {
  const h = r.health;
  const tel = h?.telemetry ?? null;
  return {
    serial: r.serial,
    model: r.model,
    unit: r.unit,
    custodian: r.custodian,
    online: h?.online ?? false,
    state: tel?.state ?? null,
    lastSeen: h?.lastSeen ?? null,
    batteryPct: tel?.battery.pct ?? null,
    charging: tel?.battery.charging ?? false,
    batteryLeftMs: msOrNull(h?.forecast.batteryS),
    storageFreeBytes: tel?.storage.freeBytes ?? null,
    storageTotalBytes: tel?.storage.totalBytes ?? null,
    storageLeftMs: msOrNull(h?.forecast.storageS),
    clockOffsetMs: h?.clockOffsetMs ?? null,
    firmware: h?.firmware ?? tel?.firmware ?? null,
    firmwareOutdated: h?.firmwareOutdated ?? false,
    officer,
    faults: Object.entries(h?.faults ?? {}).map(([code, f]) => ({ code, message: f.message })),
    conditions: [...(h?.conditions ?? [])],
    rejectedPayloads: r.rejected.payloads + r.rejected.acl,
  };
}

export const api = {
  // --- session (gateway/api/server.ts) ---
  login: (username: string, password: string) =>
    request<LoginResponse>('POST', '/api/login', { username, password }),
  logout: () => request<{ ok: true }>('POST', '/api/logout', {}),
  me: () => request<PublicUser>('GET', '/api/me'),
  changeOwnPassword: (current: string, password: string) =>
    request<PublicUser>('POST', '/api/me/password', { current, password }),

  // --- accounts (gateway/api/routes/users.ts; legal affairs administer them, R24) ---
  users: () => request<PublicUser[]>('GET', '/api/users'),
  /** Display names for the audit log's actors (supervisors). */
  userNames: () => request<{ username: string; displayName: string }[]>('GET', '/api/users/names'),
  addUser: (body: { username: string; displayName: string; roles: Role[]; password: string }) =>
    request<PublicUser>('POST', '/api/users', body),
  setUserDisabled: (username: string, disabled: boolean) =>
    request<PublicUser>('POST', `/api/users/${enc(username)}/disabled`, { disabled }),
  setUserRoles: (username: string, roles: Role[]) =>
    request<PublicUser>('POST', `/api/users/${enc(username)}/roles`, { roles }),
  resetUserPassword: (username: string, password: string) =>
    request<PublicUser>('POST', `/api/users/${enc(username)}/password`, { password }),

  // --- recorder registration (equipment managers, R21); the credential is shown once ---
  registerRecorder: (body: { serial: string; model?: string; unit?: string; custodian?: string }) =>
    request<{ recorder: PublicRecorder; credential: string }>('POST', '/api/recorders', body),
  rotateCredential: (serial: string) =>
    request<{ serial: string; credential: string }>('POST', `/api/recorders/${enc(serial)}/credential`, {}),
  registeredRecorders: () => request<PublicRecorder[]>('GET', '/api/recorders'),

  // --- fleet, alerts, interruptions (#3) ---
  recorders: async () => {
    const [list, pairings] = await Promise.all([
      request<RecorderListItem[]>('GET', '/api/recorders'),
      // Who has which recorder; the fleet table still shows without it.
      request<Assignment[]>('GET', '/api/pairings').catch(() => [] as Assignment[]),
    ]);
    const holder = new Map(pairings.map((a) => [a.serial, a.officer]));
    return list.map((r) => toRecorderView(r, holder.get(r.serial) ?? null));
  },
  recorder: async (serial: string, hours: number): Promise<RecorderDetail> => {
    const d = await request<{
      recorder: PublicRecorder;
      health: RecorderHealth | null;
      rejected: { payloads: number; acl: number };
      history: HistoryPoint[];
      maintenance: MaintenanceEntry[];
      interruptions: Interruption[];
    }>('GET', `/api/recorders/${enc(serial)}${qs({ hours })}`);
    const pairings = await request<Assignment[]>('GET', '/api/pairings').catch(() => [] as Assignment[]);
    const officer = pairings.find((a) => a.serial === serial)?.officer ?? null;
    return {
      view: toRecorderView({ ...d.recorder, health: d.health, rejected: d.rejected }, officer),
      history: d.history,
      maintenance: d.maintenance,
      interruptions: d.interruptions,
    };
  },
  maintenance: (serial: string) =>
    request<MaintenanceEntry[]>('GET', `/api/recorders/${enc(serial)}/maintenance`),
  addMaintenance: (serial: string, entry: { kind: MaintenanceKindValue; text: string }) =>
    request<MaintenanceEntry>('POST', `/api/recorders/${enc(serial)}/maintenance`, entry),
  /** Close a lost recorder's assignment without a dock (equipment manager, principal; R21). */
  reportLost: (serial: string, reason: string) =>
    request<LostRecorder>('POST', `/api/recorders/${enc(serial)}/lost`, { reason }),
  ackAlerts: (ids: string[]) =>
    request<{ acked: string[]; missing: string[] }>('POST', '/api/alerts/ack', { ids }),
  complianceSummary: (month: string) =>
    request<ComplianceSummary>('GET', `/api/compliance/summary${qs({ month })}`),
  complianceReport: (month: string) =>
    request<ComplianceReportView>('GET', `/api/compliance/report${qs({ month })}`),
  ackAlert: (id: string) => request<StoredAlert>('POST', `/api/alerts/${enc(id)}/ack`, {}),
  alerts: () => request<StoredAlert[]>('GET', `/api/alerts${qs({ active: 'true' })}`),
  interruptions: (status?: InterruptionStatus) =>
    request<Interruption[]>('GET', `/api/interruptions${qs({ status })}`),
  explainInterruption: (id: string, text: string) =>
    request<Interruption>('POST', `/api/interruptions/${enc(id)}/explain`, { text }),
  /** Legal affairs: explained -> reviewed (accept) or -> open (return for a new explanation). */
  reviewInterruption: (id: string, accept: boolean, note?: string) =>
    request<Interruption>('POST', `/api/interruptions/${enc(id)}/review`, { accept, note }),
  /** The principal: reviewed -> closed. */
  closeInterruption: (id: string, note?: string) =>
    request<Interruption>('POST', `/api/interruptions/${enc(id)}/close`, { note }),

  // --- dock, pairing, clips, audit (#4) ---
  /** Docked recorders with the readiness forecast (officer at the dock). */
  dock: () => request<DockSlotView[]>('GET', '/api/pairings/docked'),
  /** Check-out; READINESS_SHORT (details.readiness) unless a reason overrides it. */
  pair: (serial: string, officer: Officer, reason?: string) =>
    request<PairResult>('POST', '/api/pairings', {
      serial,
      officer,
      ...(reason ? { override: { reason } } : {}),
    }),
  /** Check-in by hand: the officer's own recorder, or any for the equipment manager. */
  checkIn: (serial: string) => request<unknown>('POST', `/api/pairings/${enc(serial)}/check-in`, {}),
  /** Active check-outs (officers get their own only). */
  pairings: () => request<Assignment[]>('GET', '/api/pairings'),
  clips: (q: ClipQuery) => request<ClipView[]>('GET', `/api/clips${qs({ ...q })}`),
  /** Playable/downloadable bytes; the gateway logs the access with the reason (R24). */
  clipContentUrl: (clipId: string, action: 'view' | 'download', reason: string) =>
    `/api/clips/${enc(clipId)}/content${qs({ action, reason })}`,
  /** One clip, with where and when the central archive took its original. */
  clip: (clipId: string) =>
    request<ClipView & { archive: ClipArchiveView }>('GET', `/api/clips/${enc(clipId)}`),
  /** The central archive's queue (depth, oldest item's age, last error) for supervisors. */
  archive: () => request<ArchiveStatus>('GET', '/api/archive'),
  audit: (limit = 200) => request<AuditEntryView[]>('GET', `/api/audit${qs({ limit })}`),
  /** The last and next sweep of the originals and the open integrity failures (R25). */
  integrity: () => request<IntegrityView>('GET', '/api/integrity'),
  resolveIntegrity: (id: string, note: string) =>
    request<StoredAlert>('POST', `/api/integrity/failures/${enc(id)}/resolve`, { note }),

  // --- evidence exports (R23, R24, R25) ---
  exports: () => request<ExportView[]>('GET', '/api/exports'),
  requestExport: (body: ExportRequestInput) => request<ExportView>('POST', '/api/exports', body),
  approveExport: (id: string, note?: string) =>
    request<ExportView>('POST', `/api/exports/${enc(id)}/approve`, { note }),
  refuseExport: (id: string, reason: string) =>
    request<ExportView>('POST', `/api/exports/${enc(id)}/refuse`, { reason }),
  handoverExport: (id: string, to: string, note?: string) =>
    request<unknown>('POST', `/api/exports/${enc(id)}/handover`, { to, note }),
  /** Each download of the disc image is its own audit entry; the gateway hashes it as it streams. */
  exportImageUrl: (id: string) => `/api/exports/${enc(id)}/image`,
  exportReceiptUrl: (id: string) => `/api/exports/${enc(id)}/receipt`,
  exportManifestUrl: (id: string) => `/api/exports/${enc(id)}/manifest.pdf`,

  // --- custody of the audit log (R25) ---
  checkpoints: (limit = 10) => request<Checkpoint[]>('GET', `/api/custody/checkpoints${qs({ limit })}`),
  issueCheckpoint: (reason: string) => request<Checkpoint>('POST', '/api/custody/checkpoints', { reason }),
  custodyKey: () => request<CustodyKeyView>('GET', '/api/custody/key'),
  /** The custody receipt (托管凭证) PDF of a checkpoint. */
  checkpointReceiptUrl: (treeSize: number) => `/api/custody/checkpoints/${treeSize}/receipt`,

  // --- hearing rooms (#5) ---
  /** Rooms with their cameras and each room's running (or else latest) session. */
  rooms: async (): Promise<RoomView[]> => {
    const [rooms, cameras] = await Promise.all([
      request<RoomApi[]>('GET', '/api/rooms'),
      request<CameraView[]>('GET', '/api/cameras'),
    ]);
    const byId = new Map(cameras.map((c) => [c.id, c]));
    return Promise.all(
      rooms.map(async (r) => ({
        id: r.id,
        name: r.name,
        cameras: r.cameras.map((id) => byId.get(id)).filter((c): c is CameraView => Boolean(c)),
        session: r.activeSession
          ? await request<HearingView>('GET', `/api/hearings/${enc(r.activeSession.id)}`)
          : ((await request<HearingView[]>('GET', `/api/hearings${qs({ roomId: r.id, limit: 1 })}`))[0] ??
            null),
      })),
    );
  },
  snapshotUrl: (cameraId: string, bust: number) => `/api/cameras/${enc(cameraId)}/snapshot${qs({ t: bust })}`,
  startHearing: (roomId: string, caseNo: string, activity: Activity) =>
    request<HearingView>('POST', '/api/hearings', { roomId, caseNo, activity }),
  stopHearing: (sessionId: string) =>
    request<HearingView>('POST', `/api/hearings/${enc(sessionId)}/stop`, {}),
  hearing: (sessionId: string) => request<HearingView>('GET', `/api/hearings/${enc(sessionId)}`),
  hearingSegments: (sessionId: string) =>
    request<SegmentRow[]>('GET', `/api/hearings/${enc(sessionId)}/segments`),
};

export type Api = typeof api;
export { ApiError };
