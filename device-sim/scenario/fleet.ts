/**
 * Fleet runner: builds simulated recorders from a scenario, connects each to the broker with the
 * credential the gateway issued it, and plays the timeline on a clock.
 */
import pino, { type Logger } from 'pino';
import type { Officer } from '../../protocol/common.js';
import { type Clock, RealClock } from '../clock.js';
import { type ClipSource, SyntheticClipSource } from '../recorder/clip-source.js';
import { DeviceSimError } from '../recorder/errors.js';
import { FfmpegClipSource } from '../recorder/ffmpeg-clip-source.js';
import { SimHardware } from '../recorder/hardware.js';
import { MqttLink, type MqttLinkOptions } from '../recorder/mqtt-link.js';
import { RecorderProfile, type RecorderProfileInput } from '../recorder/profile.js';
import { Recorder } from '../recorder/recorder.js';
import { SeededRng } from '../recorder/rng.js';
import { applyAction, type SimRecorder, targets } from './actions.js';
import { randomShift } from './random-shifts.js';
import {
  fleetSerials,
  type InitialState,
  parseScenario,
  type Scenario,
  type ScenarioAction,
  type ScenarioInput,
  scenarioLength,
} from './schema.js';

/** Passwords the gateway issued: a map serial -> password, or a lookup. There are no defaults. */
export type Credentials = Record<string, string> | ((serial: string) => string | Promise<string>);

export interface FleetRecorderSpec {
  serial: string;
  password?: string;
  profile?: RecorderProfileInput;
  officer?: Officer;
  initialState?: InitialState;
}

export type ClipChoice = 'synthetic' | 'ffmpeg' | ((serial: string) => ClipSource);

export interface FleetOptions {
  scenario?: Scenario | ScenarioInput;
  /** mqtt://host:port; without it the recorders run with no field link. */
  brokerUrl?: string;
  /** Which recorders to run (default: the scenario's fleet); profiles and officers still come from the scenario. */
  recorders?: FleetRecorderSpec[];
  /** Overrides the scenario fleet's count (ignored when `recorders` is given). */
  count?: number;
  credentials?: Credentials;
  /** Default: real time from now, sped up by `speed`. */
  clock?: Clock;
  speed?: number;
  clips?: ClipChoice;
  /** Caps synthetic clip size (bytes), to keep hashing cheap at high speeds. */
  maxClipBytes?: number;
  link?: Pick<
    MqttLinkOptions,
    'window' | 'reconnectMinMs' | 'reconnectMaxMs' | 'connectTimeoutMs' | 'keepaliveS'
  >;
  /** Id namespace per recorder (default random per run). */
  instanceId?: (serial: string) => string;
  logger?: Logger;
}

export interface ActionFailure {
  serial: string;
  action: ScenarioAction;
  code: string;
  message: string;
}

export interface FleetHandle {
  readonly clock: Clock;
  readonly scenario: Scenario;
  /** Simulated time the timeline counts from. */
  readonly start: number;
  readonly recorders: readonly SimRecorder[];
  get(serial: string): SimRecorder;
  /** Resolves when the scenario's length has passed on the clock. */
  readonly done: Promise<void>;
  /** Timeline actions the recorders refused (e.g. resume while already recording). */
  readonly failures: readonly ActionFailure[];
  /** Resolves when every clip is made and every event acknowledged (rejects after `timeoutMs` real ms). */
  settled(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startFleet(opts: FleetOptions): Promise<FleetHandle> {
  // Parsing is idempotent, so an already-parsed scenario passes through unchanged.
  const scenario = parseScenario(opts.scenario ?? {});
  const log = opts.logger ?? pino({ level: 'silent' });
  // Real-time runs start now, so device clocks sit near the gateway's; a scenario's `start` is
  // for virtual clocks (`new VirtualClock(Date.parse(scenario.start))`).
  const clock = opts.clock ?? new RealClock({ speed: opts.speed ?? 1 });
  const start = clock.now();
  const specs = resolveSpecs(scenario, opts);
  const passwords = opts.brokerUrl ? resolvePasswords(specs, opts.credentials) : null;

  let sharedFfmpeg: FfmpegClipSource | undefined;
  const clipSourceFor = (serial: string): ClipSource => {
    const c = opts.clips ?? 'synthetic';
    if (typeof c === 'function') return c(serial);
    if (c === 'ffmpeg') {
      sharedFfmpeg ??= new FfmpegClipSource();
      return sharedFfmpeg;
    }
    return new SyntheticClipSource({ seed: `${scenario.seed}:${serial}`, maxBytes: opts.maxClipBytes });
  };

  const sims: SimRecorder[] = specs.map((spec) => {
    const rng = new SeededRng(`${scenario.seed}:${spec.serial}`);
    const profile = RecorderProfile.parse(spec.profile);
    const hardware = new SimHardware({
      clock,
      profile,
      clips: clipSourceFor(spec.serial),
      rng: rng.fork('hw'),
    });
    const recorder = new Recorder({
      serial: spec.serial,
      hardware,
      profile,
      initialState: spec.initialState,
      instanceId: opts.instanceId?.(spec.serial),
      logger: log,
    });
    if (spec.officer) recorder.pair(spec.officer);
    const password = passwords?.(spec.serial);
    const link =
      opts.brokerUrl && password
        ? new MqttLink({ recorder, brokerUrl: opts.brokerUrl, password, logger: log, ...opts.link })
        : null;
    return { serial: spec.serial, recorder, hardware, link };
  });

  const failures: ActionFailure[] = [];
  const timers = sims.flatMap((sim) => {
    const rng = new SeededRng(`${scenario.seed}:${sim.serial}`).fork('shift');
    const mine = scenario.timeline.filter((a) => targets(a, sim.serial));
    const shift = scenario.random ? randomShift(rng, scenario.random, sim.serial) : [];
    const actions = [...mine, ...shift].sort((a, b) => a.at - b.at);
    return actions.map((a) =>
      clock.setTimer(
        () => {
          try {
            applyAction(sim, a);
          } catch (err) {
            const code = err instanceof DeviceSimError ? err.code : 'ERROR';
            const message = err instanceof Error ? err.message : String(err);
            failures.push({ serial: sim.serial, action: a, code, message });
            log.warn(
              { serial: sim.serial, action: a.action, code, reason: message },
              'scenario action refused',
            );
          }
        },
        start + a.at - clock.now(),
      ),
    );
  });

  const length = scenarioLength(scenario);
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const doneTimer = clock.setTimer(() => finish(), start + length - clock.now());

  for (const s of sims) {
    s.recorder.start();
    s.link?.start();
  }
  log.info({ recorders: sims.length, scenario: scenario.name, lengthMs: length }, 'fleet started');

  const bySerial = new Map(sims.map((s) => [s.serial, s]));
  let stopped = false;
  return {
    clock,
    scenario,
    start,
    recorders: sims,
    done,
    failures,
    get(serial) {
      const s = bySerial.get(serial);
      if (!s) throw new DeviceSimError('BAD_STATE', `no recorder ${serial} in this fleet`);
      return s;
    },
    async settled(timeoutMs = 30_000) {
      const all = (async () => {
        await Promise.all(sims.map((s) => s.recorder.settled()));
        await Promise.all(sims.map((s) => (s.link ? s.link.drained() : undefined)));
      })();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const queued = sims
            .filter((s) => s.recorder.outbox.size > 0)
            .map((s) => `${s.serial}:${s.recorder.outbox.size}`);
          reject(
            new DeviceSimError(
              'BAD_STATE',
              `fleet not settled after ${timeoutMs} ms; queued ${queued.join(' ')}`,
            ),
          );
        }, timeoutMs);
      });
      try {
        await Promise.race([all, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clock.clearTimer(t);
      clock.clearTimer(doneTimer);
      finish();
      await Promise.all(sims.map((s) => s.link?.stop()));
      for (const s of sims) s.recorder.stop();
      await Promise.all(sims.map((s) => s.recorder.settled()));
      const sources = new Set(sims.map((s) => s.hardware.clips));
      await Promise.all([...sources].map((c) => c.close()));
      log.info('fleet stopped');
    },
  };
}

interface ResolvedSpec {
  serial: string;
  password?: string;
  profile: Record<string, unknown>;
  officer?: Officer;
  initialState: InitialState;
}

function resolveSpecs(scenario: Scenario, opts: FleetOptions): ResolvedSpec[] {
  const fleet = scenario.fleet;
  const listed = new Map(fleet.recorders.map((r) => [r.serial, r]));
  const wanted: FleetRecorderSpec[] =
    opts.recorders ?? fleetSerials(fleet, opts.count ?? fleet.count).map((serial) => ({ serial }));
  const out = wanted.map((w) => {
    const s = listed.get(w.serial);
    const profile = deepMerge(
      deepMerge(fleet.defaults, s?.profile ?? {}),
      (w.profile ?? {}) as Record<string, unknown>,
    );
    const parsed = RecorderProfile.safeParse(profile);
    if (!parsed.success) {
      throw new DeviceSimError(
        'BAD_SCENARIO',
        `${w.serial}: bad profile: ${parsed.error.issues[0]?.message}`,
      );
    }
    return {
      serial: w.serial,
      password: w.password,
      profile,
      officer: w.officer ?? s?.officer,
      initialState: w.initialState ?? s?.initialState ?? fleet.initialState,
    };
  });
  const seen = new Set<string>();
  for (const s of out) {
    if (seen.has(s.serial)) throw new DeviceSimError('BAD_SCENARIO', `duplicate serial ${s.serial}`);
    seen.add(s.serial);
  }
  return out;
}

function resolvePasswords(
  specs: ResolvedSpec[],
  credentials: Credentials | undefined,
): (serial: string) => MqttLinkOptions['password'] {
  const own = new Map(specs.filter((s) => s.password).map((s) => [s.serial, s.password!]));
  if (typeof credentials === 'function') return (serial) => own.get(serial) ?? credentials;
  const table = credentials ?? {};
  const missing = specs
    .filter((s) => !own.has(s.serial) && typeof table[s.serial] !== 'string')
    .map((s) => s.serial);
  if (missing.length > 0) {
    throw new DeviceSimError(
      'NO_CREDENTIALS',
      `no credentials for ${missing.length} recorder(s): ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''} (the gateway issues each recorder its own password)`,
    );
  }
  return (serial) => own.get(serial) ?? table[serial]!;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = isPlain(prev) && isPlain(v) ? deepMerge(prev, v) : v;
  }
  return out;
}

const isPlain = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);
