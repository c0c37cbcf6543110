/**
 * Builds the recorders' field link (issue #3): registry, broker, health, sessions, commands and the
 * ingest that joins them. Called by the composition root; returns the services in start order
 * (the broker last, so nothing arrives before its handlers are ready; it stops first).
 */
import type { AlertService } from '../alerts/service.js';
import { MqttBroker } from '../broker/broker.js';
import type { GatewayConfig } from '../config.js';
import type { Db } from '../db.js';
import type { EventBus, Service } from '../events.js';
import type { AuditSink } from '../integrity/admin-audit.js';
import type { InterruptionService } from '../interruptions/service.js';
import { SessionTracker } from '../interruptions/sessions.js';
import type { Logger } from '../log.js';
import { CommandSender } from './commands.js';
import { FleetHealth } from './health.js';
import { RecorderIngest } from './ingest.js';
import { MaintenanceLog } from './maintenance.js';
import { RecorderRegistry } from './registry.js';
import { SeenIds } from './seen.js';

export interface FieldLinkDeps {
  config: GatewayConfig;
  db: Db;
  bus: EventBus;
  log: Logger;
  alerts: AlertService;
  interruptions: InterruptionService;
  /** Recorder administration is audited (R21). */
  audit?: AuditSink;
}

export interface FieldLink {
  registry: RecorderRegistry;
  maintenance: MaintenanceLog;
  health: FleetHealth;
  sessions: SessionTracker;
  commands: CommandSender;
  ingest: RecorderIngest;
  broker: MqttBroker;
  services: Service[];
}

export function createFieldLink(d: FieldLinkDeps): FieldLink {
  const { config, db, bus, log } = d;
  const registry = new RecorderRegistry({ db, ...(d.audit ? { audit: d.audit } : {}) });
  const maintenance = new MaintenanceLog(db);
  const health = new FleetHealth({
    db,
    bus,
    log: log.child({ svc: 'fleet' }),
    alerts: d.alerts,
    config: config.fleet,
    mqtt: config.mqtt,
  });
  const sessions = new SessionTracker({
    db,
    bus,
    log: log.child({ svc: 'sessions' }),
    interruptions: d.interruptions,
    config: config.interruptions,
    recordingList: config.recordingList,
    ...(d.audit ? { audit: d.audit } : {}),
  });
  // The broker and the command sender need each other: the sender reaches it through this late-bound
  // transport.
  let broker: MqttBroker | undefined;
  const commands = new CommandSender({
    transport: {
      isConnected: (serial) => broker?.isConnected(serial) ?? false,
      publishCommand: (serial, payload) => broker!.publishCommand(serial, payload),
    },
    log: log.child({ svc: 'commands' }),
    timeoutMs: config.fleet.commandTimeoutS * 1000,
    onClockOffset: (serial, offsetMs) => health.setClockOffset(serial, offsetMs),
  });
  const ingest = new RecorderIngest({
    health,
    sessions,
    interruptions: d.interruptions,
    commands,
    seen: new SeenIds(db),
    bus,
    log: log.child({ svc: 'ingest' }),
  });
  broker = new MqttBroker({
    config: config.mqtt,
    log: log.child({ svc: 'mqtt' }),
    bus,
    verify: registry.verify,
    traffic: ingest,
  });
  return {
    registry,
    maintenance,
    health,
    sessions,
    commands,
    ingest,
    broker,
    services: [registry, health, sessions, commands, ingest, broker],
  };
}
