/** Recorders: inventory with health and forecasts, detail with history, registration, maintenance (R5, R21). */
import { z } from 'zod';
import { Serial } from '../../../protocol/common.js';
import { GatewayError } from '../../errors.js';
import type { FieldLink } from '../../fleet/field-link.js';
import { MaintenanceInput } from '../../fleet/maintenance.js';
import { RecorderInfo } from '../../fleet/registry.js';
import type { InterruptionService } from '../../interruptions/service.js';
import { type Role, SUPERVISORS } from '../../roles.js';
import type { Api } from '../server.js';

/** Who may see the fleet. */
export const FLEET_VIEWERS: readonly Role[] = ['equipment-manager', ...SUPERVISORS];
/** Who keeps the devices (R21 专门人员). */
export const FLEET_KEEPERS: readonly Role[] = ['equipment-manager'];

const DetailQuery = z.object({
  /** History span, hours back from the recorder's latest time. */
  hours: z.coerce
    .number()
    .positive()
    .max(24 * 30)
    .default(24),
});

const RecorderPatch = RecorderInfo.omit({ serial: true }).partial();

const CommandBody = z.discriminatedUnion('cmd', [
  z.object({ cmd: z.literal('time-sync') }),
  z.object({ cmd: z.literal('locate'), seconds: z.number().int().min(1).max(120).default(10) }),
  z.object({
    cmd: z.literal('config'),
    segmentSeconds: z.number().int().min(10).max(3600).optional(),
    telemetryIntervalS: z.number().int().min(1).max(3600).optional(),
  }),
]);

export function serialParam(params: Record<string, string>): string {
  const r = Serial.safeParse(params.serial);
  if (!r.success) throw new GatewayError('BAD_REQUEST', `bad serial: ${r.error.issues[0]?.message}`);
  return r.data;
}

export function recorderRoutes(api: Api, field: FieldLink, interruptions: InterruptionService): void {
  const { registry, health, maintenance, broker, sessions, commands } = field;

  const known = async (serial: string) => {
    const rec = await registry.get(serial);
    if (!rec) throw new GatewayError('UNKNOWN_RECORDER', `no recorder ${serial}`);
    return rec;
  };

  api.route({ method: 'get', path: '/api/recorders', roles: FLEET_VIEWERS }, async () => {
    const list = await registry.list();
    return list.map((recorder) => ({
      ...recorder,
      health: health.get(recorder.serial) ?? null,
      rejected: broker.rejections(recorder.serial) ?? { payloads: 0, acl: 0 },
    }));
  });

  api.route(
    { method: 'post', path: '/api/recorders', roles: FLEET_KEEPERS, body: RecorderInfo },
    async ({ body, user }) => {
      // The credential is shown once, here; only its hash is kept.
      return registry.register(body, user.username);
    },
  );

  api.route(
    { method: 'get', path: '/api/recorders/:serial', roles: FLEET_VIEWERS, query: DetailQuery },
    async ({ params, query }) => {
      const serial = serialParam(params);
      const recorder = await known(serial);
      const h = health.get(serial) ?? null;
      const to = h?.lastDeviceAt ?? Date.now();
      return {
        recorder,
        health: h,
        rejected: broker.rejections(serial) ?? { payloads: 0, acl: 0 },
        connected: broker.isConnected(serial),
        history: await health.history(serial, { from: to - query.hours * 3600_000, to }),
        maintenance: await maintenance.list(serial, 20),
        interruptions: await interruptions.list({ source: 'recorder', device: serial, limit: 20 }),
        sessions: await sessions.list({ serial, limit: 20 }),
      };
    },
  );

  api.route(
    { method: 'patch', path: '/api/recorders/:serial', roles: FLEET_KEEPERS, body: RecorderPatch },
    async ({ params, body, user }) => registry.update(serialParam(params), body, user.username),
  );

  api.route(
    { method: 'post', path: '/api/recorders/:serial/credential', roles: FLEET_KEEPERS },
    async ({ params, user }) => {
      const serial = serialParam(params);
      const credential = await registry.rotateCredential(serial, user.username);
      broker.disconnect(serial);
      return { serial, credential };
    },
  );

  api.route(
    { method: 'get', path: '/api/recorders/:serial/maintenance', roles: FLEET_VIEWERS },
    async ({ params }) => {
      const serial = serialParam(params);
      await known(serial);
      return maintenance.list(serial);
    },
  );

  api.route(
    {
      method: 'post',
      path: '/api/recorders/:serial/maintenance',
      roles: FLEET_KEEPERS,
      body: MaintenanceInput,
    },
    async ({ params, body, user }) => {
      const serial = serialParam(params);
      await known(serial);
      return maintenance.add(serial, body, user.username);
    },
  );

  api.route(
    { method: 'post', path: '/api/recorders/:serial/commands', roles: FLEET_KEEPERS, body: CommandBody },
    async ({ params, body }) => {
      const serial = serialParam(params);
      await known(serial);
      const r = await commands.send(serial, body);
      return { ...r.response, rttMs: r.receivedAt - r.sentAt };
    },
  );
}
