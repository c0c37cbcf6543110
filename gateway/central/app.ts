/**
 * `gateway central`'s composition root (the same code as an office's, another root; PROTOCOL.md
 * §7.3): the province broker's subscriber, the ledger of every office and its checkpoint witness,
 * alerts, users and the read-only API and dashboard for the provincial bureau. No logic here.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AlertService } from '../alerts/service.js';
import { buildWebFront, serveWebFront, type WebFront } from '../api/front.js';
import type { Api, HttpServer } from '../api/server.js';
import { type Db, openDb } from '../db.js';
import { EventBus, type Service, stopServices } from '../events.js';
import { restrictDataDir } from '../integrity/modes.js';
import { createLogger, type Logger } from '../log.js';
import { AuditLog } from '../store/audit-log.js';
import type { UserStore } from '../users.js';
import { CentralArchiveReader } from './archive-reader.js';
import type { CentralConfig } from './config.js';
import { Ledger } from './ledger.js';
import { centralRoutes } from './routes.js';
import { CentralSubscriber } from './subscriber.js';

export class CentralApp {
  readonly config: CentralConfig;
  readonly log: Logger;
  readonly bus: EventBus;
  db!: Db;
  audit!: AuditLog;
  users!: UserStore;
  alerts!: AlertService;
  ledger!: Ledger;
  link!: CentralSubscriber;
  archive!: CentralArchiveReader;
  api!: Api;
  readonly services: Service[] = [];
  #http?: HttpServer;
  #front?: WebFront;

  constructor(opts: { config: CentralConfig; log?: Logger }) {
    this.config = opts.config;
    this.log = opts.log ?? createLogger({ level: opts.config.logLevel });
    this.bus = new EventBus(this.log);
  }

  get httpPort(): number {
    if (!this.#http) throw new Error('not started');
    return this.#http.port;
  }

  /** Storage, the audit log and users only (no network): also for `gateway central user-add`. */
  async open(): Promise<void> {
    const dataDir = resolve(this.config.dataDir);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await restrictDataDir(dataDir, this.log);
    this.db = await openDb(join(dataDir, 'index'));
    await mkdir(join(dataDir, 'audit'), { recursive: true, mode: 0o700 });
    // Sign-ins and user administration at the province are audited like an office's (R24).
    this.audit = await AuditLog.open({
      db: this.db,
      file: join(dataDir, 'audit', 'audit.jsonl'),
      log: this.log,
    });
    this.#front = buildWebFront({
      http: this.config.http,
      db: this.db,
      bus: this.bus,
      log: this.log,
      audit: () => this.audit,
    });
    this.users = this.#front.users;
  }

  async start(): Promise<void> {
    await this.open();
    const { guard, api } = this.#front!;
    this.api = api;
    this.alerts = new AlertService({ db: this.db, bus: this.bus, log: this.log.child({ svc: 'alerts' }) });
    this.ledger = new Ledger({
      db: this.db,
      alerts: this.alerts,
      log: this.log.child({ svc: 'ledger' }),
      pinned: this.config.fingerprints,
    });
    this.link = new CentralSubscriber(this.config.broker, this.ledger, this.log.child({ svc: 'central' }));
    this.archive = new CentralArchiveReader(this.config.archive, {
      audit: () => this.audit,
      alerts: this.alerts,
      log: this.log.child({ svc: 'central-archive' }),
    });
    const ledger = this.ledger;
    this.services.push(
      this.alerts,
      guard,
      { name: 'ledger', start: () => ledger.open(), stop: () => ledger.close() },
      this.archive,
      this.link,
    );
    centralRoutes(this.api, {
      ledger: this.ledger,
      alerts: this.alerts,
      link: this.link,
      archive: this.archive,
    });
    for (const s of this.services) await s.start();
    this.#http = await serveWebFront(this.api, this.config.http);
    this.log.info({ http: this.#http.port }, 'central started');
  }

  async stop(): Promise<void> {
    await this.#http?.close();
    await stopServices(this.services, this.log);
    await this.audit?.close();
    await this.db?.close();
  }
}
