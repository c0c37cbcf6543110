/**
 * The composition root: builds every service from config and wires them to the bus. No logic here.
 * Services start in order and stop in reverse.
 */
import { join, resolve } from 'node:path';
import { runOnline } from './admin/commands.js';
import { socketPath } from './admin/protocol.js';
import { AdminSocket } from './admin/socket-server.js';
import { AlertService } from './alerts/service.js';
import { buildWebFront, serveWebFront } from './api/front.js';
import type { LoginGuard } from './api/login-guard.js';
import { alertRoutes } from './api/routes/alerts.js';
import { archiveRoutes } from './api/routes/archive.js';
import { auditRoutes } from './api/routes/audit.js';
import { cameraRoutes } from './api/routes/cameras.js';
import { caseRoutes } from './api/routes/cases.js';
import { clipRoutes } from './api/routes/clips.js';
import { complianceRoutes } from './api/routes/compliance.js';
import { custodyRoutes } from './api/routes/custody.js';
import { exportRoutes } from './api/routes/exports.js';
import { hearingRoutes } from './api/routes/hearings.js';
import { integrityRoutes } from './api/routes/integrity.js';
import { interruptionRoutes } from './api/routes/interruptions.js';
import { loginLockRoutes } from './api/routes/login-locks.js';
import { pairingRoutes } from './api/routes/pairing.js';
import { recorderRoutes } from './api/routes/recorders.js';
import { sessionRoutes } from './api/routes/sessions.js';
import { userRoutes } from './api/routes/users.js';
import type { Api, HttpServer } from './api/server.js';
import { SessionPruner } from './api/session-pruner.js';
import { Evictor } from './archive/eviction.js';
import { ArchiveService } from './archive/service.js';
import { OnvifNodeAdapter } from './cameras/onvif-node-adapter.js';
import { CameraRegistry } from './cameras/registry.js';
import { offsetAt } from './cases/clock.js';
import { CaseImporter } from './cases/import.js';
import { myRecordings } from './cases/my-recordings.js';
import { CaseService } from './cases/service.js';
import { TimelineSource } from './cases/timeline-source.js';
import { ChunkBackfill } from './clips/chunk-backfill.js';
import { ChunkTables } from './clips/chunk-table.js';
import { FfmpegPlayback } from './clips/playback.js';
import { ClipService } from './clips/service.js';
import { caseStageSource } from './compliance/case-stages.js';
import { ClipDigest } from './compliance/clip-digest.js';
import { GatewayFactSource } from './compliance/collect.js';
import { monthOf } from './compliance/period.js';
import { renderReportPdf } from './compliance/report-pdf.js';
import { ComplianceService } from './compliance/service.js';
import { renderReportXlsx } from './compliance/xlsx.js';
import type { GatewayConfig } from './config.js';
import { renderCustodyReceipt } from './custody/receipt.js';
import { CustodyService } from './custody/service.js';
import { type Db, openDb } from './db.js';
import { dockRoutes } from './dock/routes.js';
import { DockService } from './dock/service.js';
import { EventBus, type Service, stopServices } from './events.js';
import type { CustodyPort } from './exports/custody-port.js';
import { ExportRepo } from './exports/repo.js';
import { ExportService } from './exports/service.js';
import { buildVerifierFiles } from './exports/verifier/index.js';
import { createFieldLink, type FieldLink } from './fleet/field-link.js';
import { HearingService } from './hearings/service.js';
import { type AuditSink, configLoadedEntry } from './integrity/admin-audit.js';
import { restrictDataDir } from './integrity/modes.js';
import { IntegrityMonitor } from './integrity/monitor.js';
import { InterruptionService } from './interruptions/service.js';
import { createLogger, type Logger } from './log.js';
import { NotificationService } from './notify/service.js';
import { GatewayMetrics } from './observability/metrics.js';
import { observabilityRoutes } from './observability/routes.js';
import { PairingService } from './pairing/service.js';
import { FluentFfmpegRecorder } from './recording/fluent-ffmpeg-adapter.js';
import { PrerollCache } from './recording/preroll.js';
import { RtspRelay } from './recording/rtsp-relay.js';
import { DiskWatch } from './store/disk-watch.js';
import { ClipStore } from './store/index.js';
import { WalGuard } from './store/wal-guard.js';
import { UplinkBridge } from './uplink/bridge.js';
import { officeSnapshot } from './uplink/snapshot.js';
import type { UserStore } from './users.js';

export interface AppOptions {
  config: GatewayConfig;
  log?: Logger;
  /** Where the config came from (file path), for the `config-loaded` audit entry. */
  configSource?: string;
}

export class GatewayApp {
  readonly config: GatewayConfig;
  readonly log: Logger;
  readonly bus: EventBus;
  db!: Db;
  users!: UserStore;
  /** Failed-login backoff and locks (R24 unlock by legal affairs). */
  loginGuard!: LoginGuard;
  api!: Api;
  alerts!: AlertService;
  interruptions!: InterruptionService;
  /** Recorders' MQTT field link: registry, broker, health, sessions, commands (issue #3). */
  field!: FieldLink;
  /** Designated storage for originals: blobs, index, audit log (R22, R25). */
  store!: ClipStore;
  /** Dock slots: time sync, pairing over the link, verified ingest (issue #4). */
  docks!: DockService;
  /** Hearing-room cameras (issue #5): registry, discovery, health, snapshots. */
  cameras!: CameraRegistry;
  /** Hearing sessions recorded from the room cameras into the same store (issue #5). */
  hearings!: HearingService;
  /** Warm pre-roll cache of assigned cameras: hearings' lead-ins (issue #5, R18). */
  preroll!: PrerollCache;
  /** Loopback RTSP relay: ffmpeg reads camera streams without their passwords on its argv. */
  relay!: RtspRelay;
  /** Check-out/check-in of recorders to officers (R5, R21); who had recorder X at time T. */
  pairing!: PairingService;
  /** Clip search, the 24 h clock with overdue alerts (R22), logged access to originals (R24). */
  clips!: ClipService;
  /** Chunk tables for originals stored without one, in the background (first seek at once, R25). */
  chunkBackfill!: ChunkBackfill;
  /** Evidence discs with the principal's approval (R23, R24, R25). */
  exports!: ExportService;
  /** What the exports need of the custody service (checkpoints, proofs, key, receipt). */
  custodyPort: CustodyPort | undefined;
  /** Signed checkpoints of the audit log, their witnesses, proofs for evidence discs (R25). */
  custody!: CustodyService;
  /** Scheduled verification of the originals and integrity failures (R25). */
  integrity!: IntegrityMonitor;
  /** The case registry and recordings' links to cases, stages and activities (R9–R13). */
  cases!: CaseService;
  /** R26 compliance report and R7 statistics, precomputed for the summary page. */
  compliance!: ComplianceService;
  /** Compact per-session, per-day rows of the clips the compliance report reads (R7, R26). */
  clipDigest!: ClipDigest;
  /** Critical alerts sent to people outside the dashboard, through a durable outbox (R19). */
  notifications!: NotificationService;
  /** Originals, checkpoints and log segments replicated to S3 with Object Lock (R23, R25). */
  archive!: ArchiveService;
  /** Free space against the reserves: new work refused before the disk is full (docs/STATE.md). */
  disk!: DiskWatch;
  evictor?: Evictor;
  /** Health, events, alerts and checkpoints forwarded to the province (PROTOCOL.md §7). */
  uplink!: UplinkBridge;
  /** Prometheus metrics served at /metrics. */
  readonly metrics = new GatewayMetrics();
  readonly services: Service[] = [];
  readonly configSource: string | undefined;
  #http?: HttpServer;
  /** The CLI's way in while the gateway runs (`gateway user add`, `verify`, ... on a live gateway). */
  #admin?: AdminSocket;

  constructor(opts: AppOptions) {
    this.config = opts.config;
    this.configSource = opts.configSource;
    this.log = opts.log ?? createLogger({ level: opts.config.logLevel });
    this.bus = new EventBus(this.log);
  }

  get httpPort(): number {
    if (!this.#http) throw new Error('not started');
    return this.#http.port;
  }

  /** The MQTT broker's bound TCP port (config 0 = ephemeral). */
  get mqttPort(): number {
    return this.field.broker.port;
  }

  /** Opens storage and builds the services (no network yet). Also used by offline CLI commands. */
  async open(): Promise<void> {
    const dataDir = resolve(this.config.dataDir);
    await restrictDataDir(dataDir, this.log);
    this.db = await openDb(join(dataDir, 'index'));
    new WalGuard(this.db, { room: () => this.disk.stateRoom(), log: this.log.child({ svc: 'index' }) });
    // Administration is audited in the store's log (started before any admin call can arrive).
    // Async, so a write after the store closed rejects (and is handled) instead of throwing.
    const audit: AuditSink = async (e) => this.store.audit.append(e);
    const front = buildWebFront({
      http: this.config.http,
      db: this.db,
      bus: this.bus,
      log: this.log,
      audit: () => this.store.audit,
      api: {
        beforeLogin: () => this.disk.assertState('login'),
        observeHttp: (m, route, status, s) => this.metrics.observeHttp(m, route, status, s),
      },
    });
    this.users = front.users;
    this.loginGuard = front.guard;
    this.api = front.api;
    const { db, bus, log } = this;
    this.alerts = new AlertService({ db, bus, log: log.child({ svc: 'alerts' }), audit });
    this.interruptions = new InterruptionService({
      db,
      bus,
      log: log.child({ svc: 'interruptions' }),
      alerts: this.alerts,
      config: this.config.interruptions,
      audit,
    });
    this.services.push(this.alerts, this.interruptions);
    this.field = createFieldLink({
      config: this.config,
      db,
      bus,
      log,
      alerts: this.alerts,
      interruptions: this.interruptions,
      audit,
    });
    this.services.push(...this.field.services);
    recorderRoutes(this.api, this.field, this.interruptions);
    interruptionRoutes(this.api, this.interruptions, audit);
    alertRoutes(this.api, this.alerts);
    sessionRoutes(this.api, this.field.sessions);
    this.store = new ClipStore({
      root: join(dataDir, 'store'),
      db,
      bus,
      log: log.child({ svc: 'store' }),
      reserveBytes: this.config.dock.reserveBytes,
    });
    const registry = this.field.registry;
    this.docks = new DockService({
      config: this.config.dock,
      db,
      store: this.store,
      bus,
      log: log.child({ svc: 'dock' }),
      registry: { isKnown: async (serial) => (await registry.get(serial)) !== undefined },
      alerts: this.alerts,
    });
    this.custody = new CustodyService({
      config: this.config.custody,
      dataDir,
      db,
      log: log.child({ svc: 'custody' }),
      alerts: this.alerts,
      audit: () => this.store.audit,
    });
    this.integrity = new IntegrityMonitor({
      store: this.store,
      alerts: this.alerts,
      db,
      bus,
      log: log.child({ svc: 'integrity' }),
      config: this.config.integrity,
    });
    this.services.push(this.store, this.custody, this.integrity, this.docks);
    this.notifications = new NotificationService({
      config: this.config.notifications,
      db,
      bus,
      alerts: this.alerts,
      audit,
      log: log.child({ svc: 'notify' }),
    });
    this.services.push(this.notifications);
    integrityRoutes(this.api, this.integrity);
    custodyRoutes(this.api, this.custody);
    const custody = this.custody;
    this.custodyPort = {
      gatewayId: () => custody.gatewayId,
      issueCheckpoint: (reason, actor) => custody.issueCheckpoint(reason, actor),
      leafInputs: (seqs) => custody.leafInputs(seqs),
      inclusionProofs: async (seqs, treeSize) =>
        custody.inclusionProofs(seqs, treeSize).map((p) => p.auditPath),
      publicKeyJson: async () => `${JSON.stringify(custody.publicKeyJson(), null, 2)}\n`,
      renderCustodyReceipt,
    };
    dockRoutes(this.docks)(this.api);
    const health = this.field.health;
    this.pairing = new PairingService({
      db,
      bus,
      log: log.child({ svc: 'pairing' }),
      docks: this.docks,
      audit: () => this.store.audit,
      config: { ...this.config.dock, shiftHours: this.config.fleet.shiftHours },
      fieldDraw: (serial) => health.get(serial)?.forecast.batteryDrawPctPerH,
      alerts: this.alerts,
      clips: this.store.index,
    });
    this.interruptions.setOfficerLookup(({ source, device, at }) =>
      source === 'recorder' ? this.pairing.officerAt(device, at) : null,
    );
    // No pairing on record: the hearing's starter for a camera, the officer the recorder named for its session.
    this.interruptions.setHolderLookup(async ({ source, device, sessionId }) => {
      if (!sessionId) return null;
      if (source === 'camera') return this.hearings.startedBy(sessionId).catch(() => null);
      return (await this.field.sessions.get(device, sessionId))?.officerId ?? null;
    });
    this.services.push(this.pairing);
    pairingRoutes(this.api, this.pairing);
    const cam = this.config.cameras;
    this.cameras = new CameraRegistry({
      db,
      bus,
      log: log.child({ svc: 'cameras' }),
      config: cam,
      keyFile: join(dataDir, 'camera-secrets.key'),
      audit,
      control: new OnvifNodeAdapter({
        log: log.child({ svc: 'onvif' }),
        limits: { deadlineMs: cam.soapTimeoutMs, maxBytes: cam.soapMaxBytes },
        discoveryInterface: cam.discoveryInterface,
      }),
    });
    this.relay = new RtspRelay({
      log: log.child({ svc: 'rtsp-relay' }),
      onAuth: (id, accepted) => this.cameras.noteStreamAuth(id, accepted),
    });
    const ffmpeg = new FluentFfmpegRecorder({
      ffmpegPath: cam.ffmpegPath,
      log: log.child({ svc: 'ffmpeg' }),
    });
    const workDir = cam.workDir ?? join(dataDir, 'recording');
    this.preroll = new PrerollCache({
      config: { ...cam.preroll, staleDataS: cam.staleDataS },
      cameras: this.cameras,
      bus,
      recorder: ffmpeg,
      access: this.relay,
      probe: ffmpeg,
      dir: join(workDir, 'preroll'),
      log: log.child({ svc: 'preroll' }),
    });
    this.hearings = new HearingService({
      db,
      bus,
      log: log.child({ svc: 'hearings' }),
      config: cam,
      cameras: this.cameras,
      store: this.store,
      interruptions: this.interruptions,
      recorder: ffmpeg,
      access: this.relay,
      probe: ffmpeg,
      workDir,
      preroll: this.preroll,
      room: (what) => this.disk.assertWork(what),
      storage: { reserveBytes: this.config.dock.reserveBytes, paths: [this.store.disk.path, workDir] },
      alerts: this.alerts,
    });
    this.cameras.inUse = (id) => this.hearings.inUse(id);
    this.services.push(this.relay, this.cameras, this.preroll, this.hearings);
    this.disk = new DiskWatch({
      path: dataDir,
      workReserveBytes: this.config.dock.reserveBytes,
      stateReserveBytes: this.config.storage.stateReserveBytes,
      checkMs: this.config.storage.checkS * 1000,
      alerts: this.alerts,
      log: log.child({ svc: 'disk' }),
      onLow: (r) => this.hearings.holdForStorage({ ...r }),
      reclaim: (bytes) => this.store.disk.reclaim(bytes),
    });
    this.store.disk.onRefused = (s) => this.disk.refused(s.neededBytes);
    this.services.push(this.disk);
    cameraRoutes(this.api, this.cameras, this.hearings, this.preroll);
    hearingRoutes(this.api, this.hearings);
    const chunkTables = new ChunkTables(db);
    this.clips = new ClipService({
      store: this.store,
      chunks: chunkTables,
      alerts: this.alerts,
      bus,
      log: log.child({ svc: 'clips' }),
      officerAt: (serial, at) => this.pairing.officerAt(serial, at),
      sessionOf: (serial, sessionId) => this.field.sessions.get(serial, sessionId),
      liveUploads: () => this.docks.list().flatMap((s) => (s.current ? [s.current] : [])),
      playback: new FfmpegPlayback({ ffmpegPath: cam.ffmpegPath, log: log.child({ svc: 'playback' }) }),
      checkIntervalMs: this.config.dock.overdueCheckS * 1000,
    });
    this.services.push(this.clips);
    this.chunkBackfill = new ChunkBackfill({
      store: this.store,
      chunks: chunkTables,
      log: log.child({ svc: 'chunk-backfill' }),
      bytesPerS: this.config.integrity.sweepMbPerS * 1e6,
    });
    this.services.push(this.chunkBackfill);
    clipRoutes(this.api, {
      clips: this.clips,
      hearingOwner: async (id) => (await this.hearings.get(id).catch(() => undefined))?.startedBy ?? null,
      audit: () => this.store.audit,
      archived: (clipId) => this.archive.copyOf(clipId),
    });
    auditRoutes(this.api, this.store, this.integrity);
    this.services.push(
      this.loginGuard,
      new SessionPruner(this.users, this.config.http.sessionPruneS * 1000, log),
    );
    loginLockRoutes(this.api, this.loginGuard);
    userRoutes(this.api, this.users);
    this.exports = new ExportService({
      db,
      store: this.store,
      dir: join(dataDir, 'exports'),
      custody: () => this.custodyPort,
      facts: {
        recorderSession: (serial, sessionId) => this.field.sessions.get(serial, sessionId),
        hearing: (id) => this.hearings.get(id).catch(() => undefined),
        hearingExists: async (id) => (await this.hearings.get(id).catch(() => undefined)) !== undefined,
        interruption: (id) => this.interruptions.get(id),
        roomName: (roomId) => this.cameras.rooms().find((r) => r.id === roomId)?.name ?? null,
        interruptions: (sessionId) => this.interruptions.list({ sessionId, limit: 1000 }),
        displayName: async (u) => (await this.users.get(u))?.displayName ?? null,
      },
      verifierFiles: buildVerifierFiles,
      bus,
      log: log.child({ svc: 'exports' }),
      alerts: this.alerts,
      room: (what, bytes) => this.disk.assertWork(what, bytes),
      unchangedSinceHashed: (expected, identity) => chunkTables.unchangedSinceHashed(expected, identity),
    });
    this.services.push(this.exports);
    exportRoutes(this.api, this.exports);
    const exportRepo = new ExportRepo(db);
    this.archive = new ArchiveService({
      config: this.config.archive,
      timeZone: this.config.timeZone,
      db,
      store: this.store,
      bus,
      alerts: this.alerts,
      log: log.child({ svc: 'archive' }),
      exportClips: async (id) => (await exportRepo.get(id))?.clipIds ?? [],
      report: (e, ops) => this.uplink.reportArchived(e, ops),
    });
    if (this.archive.enabled) this.custody.witnesses.push(this.archive.witness);
    this.services.push(this.archive);
    if (this.archive.enabled) {
      this.store.setRemote(this.archive.remote);
      this.evictor = new Evictor({
        store: this.store,
        archive: this.archive,
        alerts: this.alerts,
        log: log.child({ svc: 'evictor' }),
      });
      this.services.push(this.evictor);
    }
    archiveRoutes(this.api, this.archive);
    this.cases = new CaseService({
      db,
      audit,
      bus,
      config: this.config.cases,
      timeZone: this.config.timeZone,
      log: log.child({ svc: 'cases' }),
      facts: {
        session: (serial, sessionId) => this.field.sessions.get(serial, sessionId),
        hearing: (id) => this.hearings.get(id).catch(() => undefined),
        clip: (clipId) => this.store.index.get(clipId),
        clockOffset: async (serial, at) => offsetAt(await this.docks.clockHistory(serial), at),
        displayName: async (u) => (await this.users.get(u))?.displayName ?? null,
      },
    });
    this.services.push(this.cases);
    caseRoutes(this.api, {
      cases: this.cases,
      importer: new CaseImporter(this.cases, this.config.cases),
      timelines: new TimelineSource(this.cases, {
        session: (serial, sessionId) => this.field.sessions.get(serial, sessionId),
        hearing: (id) => this.hearings.get(id).catch(() => undefined),
        hearingsOfCase: (caseNo) => this.hearings.list({ caseNo, limit: 500 }),
        segments: (id) => this.hearings.segments(id),
        clipsOfSession: (sessionId) => this.store.index.listBySession(sessionId),
        clipsOfCase: (caseNo) => this.store.index.listByCase(caseNo),
        interruptionsOf: (sessionId) => this.interruptions.list({ sessionId, limit: 1000 }),
        exports: (user) => this.exports.list(user, { limit: 500 }),
        clockHistory: (serial) => this.docks.clockHistory(serial),
        roomName: (roomId) => this.cameras.rooms().find((r) => r.id === roomId)?.name ?? null,
        displayName: async (u) => (await this.users.get(u))?.displayName ?? null,
      }),
      mine: (user) =>
        myRecordings(
          user,
          {
            clips: (officerId, from) => this.clips.search({ officerId, from, limit: 2000 }),
            sessions: (officerId, from) => this.field.sessions.ofOfficer(officerId, from),
            hearings: () => this.hearings.list({ limit: 500 }),
            interruptions: () => this.interruptions.list({ limit: 1000 }),
            caseOf: (t) => this.cases.caseOfTarget(t),
            cases: () => this.cases.list({ limit: 5000 }),
            canSee: (u, c) => this.cases.canSee(u, c),
          },
          Date.now(),
        ),
    });
    const displayName = async (u: string) => (await this.users.get(u))?.displayName ?? null;
    this.clipDigest = new ClipDigest({
      db,
      index: this.store.index,
      bus,
      log: log.child({ svc: 'clip-digest' }),
    });
    this.services.push(this.clipDigest);
    this.compliance = new ComplianceService({
      source: new GatewayFactSource({
        sessions: this.field.sessions,
        hearings: this.hearings,
        digest: this.clipDigest,
        interruptions: this.interruptions,
        registry: this.field.registry,
        alerts: this.alerts,
        maintenance: this.field.maintenance,
        audit: () => this.store.audit,
        exports: new ExportRepo(db),
        recordingList: this.config.recordingList,
        displayName,
        cases: caseStageSource(this.cases, displayName),
      }),
      config: this.config.compliance,
      gapToleranceS: this.config.interruptions.gapToleranceS,
      dir: join(dataDir, 'reports'),
      audit: () => this.store.audit,
      log: log.child({ svc: 'compliance' }),
      displayName,
      render: { pdf: renderReportPdf, xlsx: renderReportXlsx },
    });
    this.services.push(this.compliance);
    complianceRoutes(this.api, {
      compliance: this.compliance,
      renderPdf: renderReportPdf,
      renderXlsx: renderReportXlsx,
    });
    this.uplink = new UplinkBridge({
      config: this.config.uplink,
      db,
      bus,
      log: log.child({ svc: 'uplink' }),
      snapshot: () =>
        officeSnapshot({
          recorders: () => health.list(),
          interruptions: () => this.interruptions.list({ limit: 100_000 }),
          overdueClips: async () => (await this.store.index.overdue(Date.now(), { limit: 100_000 })).length,
          archive: () => this.archive.queue.stats(),
          breaches: async () => {
            const s = await this.compliance.summary(monthOf(Date.now()));
            return { month: monthOf(Date.now()), counts: s.counts };
          },
        }),
    });
    if (this.uplink.enabled) this.custody.witnesses.push(this.uplink.witness);
    this.services.push(this.uplink);
    const activeAlerts = async () => this.alerts.list({ active: true, limit: 100_000 });
    this.metrics.bind({
      dataDir,
      bus,
      recordersOnline: () => health.list().filter((h) => h.online).length,
      recordersKnown: () => health.list().length,
      activeAlerts,
      lastSweepAt: () => this.integrity.state().last?.finishedAt ?? null,
      lastSweepOk: () => this.integrity.state().last?.ok ?? null,
      lastCheckpointAt: async () => (await this.custody.latestCheckpoint())?.at ?? null,
      notifyPending: () => this.notifications.pending,
      ingestActive: () => this.docks.list().filter((s) => s.current).length,
      liveClients: () => bus.anyListenerCount,
      archiveQueue: () => this.archive.queue.stats(),
      ...(this.uplink.enabled ? { uplink: () => this.uplink.state() } : {}),
    });
    observabilityRoutes(this.api.app, {
      metrics: this.metrics,
      activeAlerts,
      ...(this.config.observability.metricsTokenFile
        ? { tokenFile: this.config.observability.metricsTokenFile }
        : {}),
    });
  }

  async start(): Promise<void> {
    await this.open();
    for (const s of this.services) {
      await s.start();
      this.log.debug({ service: s.name }, 'service started');
    }
    await this.store.audit.append(configLoadedEntry(this.config, this.configSource));
    this.#admin = new AdminSocket({
      path: socketPath(this.config.dataDir),
      handle: (req) => runOnline(this, req),
      log: this.log.child({ svc: 'admin-socket' }),
    });
    await this.#admin.start();
    this.#http = await serveWebFront(this.api, this.config.http);
    this.log.info({ http: this.#http.port }, 'gateway started');
  }

  async stop(): Promise<void> {
    await this.#admin?.stop();
    await this.#http?.close();
    // Recorder traffic stops first and its queued events finish while every service still runs;
    // the store stops last: nearly every service writes its audit log (R25) until it has stopped.
    const first: Service[] = this.field ? [this.field.broker, this.field.ingest] : [];
    const last: Service[] = this.store ? [this.store] : [];
    const rest = this.services.filter((s) => !first.includes(s) && !last.includes(s));
    await stopServices([...last, ...rest, ...first], this.log);
    await this.db?.close();
  }
}
