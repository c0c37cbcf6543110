/**
 * The composition root: builds every service from config and wires them to the bus. No logic here.
 * Services start in order and stop in reverse.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlertService } from './alerts/service.js';
import { alertRoutes } from './api/routes/alerts.js';
import { interruptionRoutes } from './api/routes/interruptions.js';
import { recorderRoutes } from './api/routes/recorders.js';
import { sessionRoutes } from './api/routes/sessions.js';
import { Api, type HttpServer, listen } from './api/server.js';
import { UserStore } from './api/users.js';
import type { GatewayConfig } from './config.js';
import { type Db, openDb } from './db.js';
import { dockRoutes } from './dock/routes.js';
import { DockService } from './dock/service.js';
import { EventBus, type Service } from './events.js';
import { createFieldLink, type FieldLink } from './fleet/field-link.js';
import { InterruptionService } from './interruptions/service.js';
import { createLogger, type Logger } from './log.js';
import { ClipStore } from './store/index.js';

export const DASHBOARD_DIST = resolve(fileURLToPath(new URL('../dashboard/dist', import.meta.url)));

export interface AppOptions {
  config: GatewayConfig;
  log?: Logger;
}

export class GatewayApp {
  readonly config: GatewayConfig;
  readonly log: Logger;
  readonly bus: EventBus;
  db!: Db;
  users!: UserStore;
  api!: Api;
  alerts!: AlertService;
  interruptions!: InterruptionService;
  /** Recorders' MQTT field link: registry, broker, health, sessions, commands (issue #3). */
  field!: FieldLink;
  /** Designated storage for originals: blobs, index, audit log (R22, R25). */
  store!: ClipStore;
  /** Dock slots: time sync, pairing over the link, verified ingest (issue #4). */
  docks!: DockService;
  readonly services: Service[] = [];
  #http?: HttpServer;

  constructor(opts: AppOptions) {
    this.config = opts.config;
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
    await mkdir(dataDir, { recursive: true });
    this.db = await openDb(join(dataDir, 'index'));
    this.users = new UserStore(this.db, this.config.http.sessionHours);
    this.api = new Api({ users: this.users, bus: this.bus, log: this.log, staticDir: DASHBOARD_DIST });
    const { db, bus, log } = this;
    this.alerts = new AlertService({ db, bus, log: log.child({ svc: 'alerts' }) });
    this.interruptions = new InterruptionService({
      db,
      bus,
      log: log.child({ svc: 'interruptions' }),
      alerts: this.alerts,
      config: this.config.interruptions,
    });
    this.services.push(this.alerts, this.interruptions);
    this.field = createFieldLink({
      config: this.config,
      db,
      bus,
      log,
      alerts: this.alerts,
      interruptions: this.interruptions,
    });
    this.services.push(...this.field.services);
    recorderRoutes(this.api, this.field, this.interruptions);
    interruptionRoutes(this.api, this.interruptions);
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
    this.services.push(this.store, this.docks);
    dockRoutes(this.docks)(this.api);
  }

  async start(): Promise<void> {
    await this.open();
    for (const s of this.services) {
      await s.start();
      this.log.debug({ service: s.name }, 'service started');
    }
    this.api.mountStatic();
    this.#http = await listen(this.api.app, this.config.http.host, this.config.http.port);
    this.log.info({ http: this.#http.port }, 'gateway started');
  }

  async stop(): Promise<void> {
    await this.#http?.close();
    for (const s of [...this.services].reverse()) {
      try {
        await s.stop();
      } catch (err) {
        this.log.error({ err, service: s.name }, 'service stop failed');
      }
    }
    await this.db?.close();
  }
}
