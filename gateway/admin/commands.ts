/**
 * What each admin command does, in one place for both paths: `runOnline` inside the running
 * gateway (through the admin socket), `runOffline` on a data dir no gateway holds (the CLI opens it
 * and starts only the services the command needs). Every change is audited by the service it
 * calls, with the actor `cli` or `cli:<by>` (R24).
 */

import { join, resolve } from 'node:path';
import type { GatewayApp } from '../app.js';
import type { GatewayConfig } from '../config.js';
import { keyFileOf } from '../custody/cli.js';
import { type OfflineVerifyOptions, verifyOffline, verifyWithDb } from '../custody/offline-verify.js';
import { GatewayError } from '../errors.js';
import { backupDataDir } from '../store/backup.js';
import { type IndexRepair, repairIndexIfDamaged } from '../store/index-repair.js';
import { type RestoreReport, restoreDataDir } from '../store/restore.js';
import type { AdminRequest } from './protocol.js';
import { rebuildFromAudit, type StateRebuild } from './rebuild.js';

const actorOf = (by: string | undefined): string => (by ? `cli:${by}` : 'cli');

/** The command's work on services that are running (the gateway's own, or those `runOffline` started). */
async function run(app: GatewayApp, req: AdminRequest, index?: IndexRepair): Promise<unknown> {
  switch (req.command) {
    case 'user-add': {
      const { username, displayName, roles, password } = req;
      return app.users.add({ username, displayName, roles, password }, actorOf(req.by));
    }
    case 'user-list':
      return app.users.list();
    case 'user-reset':
      return app.users.resetPassword(req.username, req.password, actorOf(req.by));
    case 'user-unlock': {
      const unlocked = await app.loginGuard.unlockAccount(req.username, actorOf(req.by));
      if (!unlocked) throw new GatewayError('NOT_FOUND', `${req.username} is not locked`);
      return { username: req.username, unlocked };
    }
    case 'recorder-add': {
      const { serial, model, unit, custodian } = req;
      const r = await app.field.registry.register({ serial, model, unit, custodian }, actorOf(req.by));
      return { ...r.recorder, username: serial, clientId: serial, password: r.credential };
    }
    case 'recorder-list':
      return app.field.registry.list();
    case 'checkpoint': {
      const cp = await app.custody.issueCheckpoint(req.reason, actorOf(req.by));
      await app.custody.flushWitnesses();
      return cp;
    }
    case 'reindex': {
      const report = await app.store.reindex({ actor: actorOf(req.by) });
      await app.clipDigest.refresh(); // the report's compact rows, rebuilt from the new index
      return { ...report, state: await rebuildState(app, actorOf(req.by)) };
    }
    case 'repair': {
      const audit = app.store.audit;
      // A repaired index lost what its missing files held: the clip rows come back from the blobs.
      const reindexed = index?.repaired
        ? (await app.store.reindex({ actor: actorOf(req.by) })).summary
        : null;
      if (reindexed) await app.clipDigest.refresh();
      const state = index?.repaired ? await rebuildState(app, actorOf(req.by)) : null;
      const done = {
        tornLineCut: audit.tornCut ?? null,
        indexRolledForward: audit.rolledForward ?? null,
        indexRepaired: index?.repaired
          ? { reason: index.reason ?? null, clipsReindexed: reindexed, stateRebuilt: state }
          : null,
      };
      await audit.append({
        type: 'repair',
        actor: actorOf(req.by),
        subject: `audit:${audit.file}`,
        details: done,
      });
      return done;
    }
    case 'backup': {
      const done = await backupDataDir({ dataDir: app.config.dataDir, db: app.db, dest: req.dest });
      const { createdAt: _, ...details } = done;
      await app.store.audit.append({
        type: 'backup',
        actor: actorOf(req.by),
        subject: `audit:${app.store.audit.file}`,
        details: { dest: resolve(req.dest), ...details },
      });
      return { dest: resolve(req.dest), ...done };
    }
    case 'verify':
      return verifyWithDb(app.db, await verifyOptions(app.config, req));
  }
}

/** The state the index lost (docs/STATE.md), back from the log; audited with what came back. */
async function rebuildState(app: GatewayApp, actor: string): Promise<StateRebuild> {
  const state = await rebuildFromAudit(app.store.audit.file, {
    users: app.users,
    registry: app.field.registry,
    interruptions: app.interruptions,
    pairings: app.pairing,
    cases: app.cases,
    hearings: app.hearings,
    exports: app.exports,
    cameras: app.cameras,
    sessions: app.field.sessions,
    alerts: app.alerts,
  });
  await app.store.audit.append({
    type: 'reindex',
    actor,
    subject: 'state:rebuilt-from-log',
    details: { ...state },
  });
  return state;
}

/**
 * `gateway restore SRC` into the configured data dir, which must be fresh (so never one a gateway
 * runs on), then recorded in the restored log itself: the `restore` entry is the first thing the
 * restored gateway's history says after the backup's last entry.
 */
export async function restoreOffline(
  config: GatewayConfig,
  open: () => Promise<GatewayApp>,
  src: string,
  by?: string,
): Promise<RestoreReport> {
  const report = await restoreDataDir({ src, dataDir: config.dataDir });
  const app = await open();
  try {
    await app.store.start();
    await app.store.audit.append({
      type: 'restore',
      actor: actorOf(by),
      subject: `audit:${app.store.audit.file}`,
      details: { from: report.from, backupCreatedAt: report.backup.createdAt, ...report.backup.audit },
    });
    await app.store.stop();
  } finally {
    await app.db.close();
  }
  return report;
}

async function verifyOptions(
  config: GatewayConfig,
  req: Extract<AdminRequest, { command: 'verify' }>,
): Promise<OfflineVerifyOptions> {
  return {
    dataDir: config.dataDir,
    gatewayKeyFile: await keyFileOf(config),
    ...(req.checkpoints ? { checkpoints: req.checkpoints } : {}),
    ...(req.keyFile ? { keyFile: req.keyFile } : {}),
    ...(req.mirrors ? { mirrors: req.mirrors } : {}),
  };
}

/** Inside the running gateway: every service is up. */
export function runOnline(app: GatewayApp, req: AdminRequest): Promise<unknown> {
  return run(app, req);
}

/**
 * On a data dir no gateway holds. `verify` opens the index itself, read-only (it must work on a
 * copy or on evidence: no app, which would narrow modes); the rest get an opened app and start
 * what they need, stopping it after.
 */
export async function runOffline(
  config: GatewayConfig,
  open: () => Promise<GatewayApp>,
  req: AdminRequest,
): Promise<unknown> {
  if (req.command === 'verify') return verifyOffline(await verifyOptions(config, req));
  // LevelDB's repair first: a damaged index would not open at all.
  const index =
    req.command === 'repair' ? await repairIndexIfDamaged(join(resolve(config.dataDir), 'index')) : undefined;
  const app = await open();
  const started: { stop(): Promise<void> }[] = [];
  const start = async (s: { start(): Promise<void>; stop(): Promise<void> }) => {
    await s.start();
    started.push(s);
  };
  try {
    if (req.command !== 'user-list' && req.command !== 'recorder-list') {
      // An open integrity alert blocks signing a checkpoint (custody/service.ts).
      if (req.command === 'checkpoint') await start(app.alerts);
      await start(app.store);
    }
    if (req.command === 'user-unlock') await start(app.loginGuard);
    if (req.command === 'checkpoint') {
      await app.custody.open();
      started.push(app.custody);
    }
    return await run(app, req, index);
  } finally {
    for (const s of started.reverse()) await s.stop();
    await app.db.close();
  }
}
