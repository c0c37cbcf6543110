/**
 * One config file (JSON), validated by zod; every field has an embedded default so the gateway runs
 * with no file at all. Each service reads only its own section.
 */
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { z } from 'zod';
import { Activity } from '../protocol/common.js';
import { DockTiming } from '../protocol/dock/constants.js';
import { ArchiveConfig } from './archive/config.js';
import { GatewayError } from './errors.js';
import { NotificationsConfig } from './notify/config.js';
import { UplinkConfig } from './uplink/config.js';

const Port = z.number().int().min(0).max(65535);

export const MqttConfig = z.object({
  host: z.string().default('0.0.0.0'),
  port: Port.default(1883),
  tls: z.object({ certFile: z.string(), keyFile: z.string(), port: Port.default(8883) }).optional(),
  /** A recorder silent this long is offline even without a last will. */
  staleAfterS: z.number().positive().default(90),
  /**
   * Largest MQTT packet accepted (fixed header's remaining length, MQTT 3.1.1 §2.2.3); a larger
   * declaration closes the connection before its body is read. Payloads are at most 16 KiB
   * (protocol/mqtt/decode.ts), so 32 KiB leaves room for topic and CONNECT fields.
   */
  maxPacketBytes: z
    .number()
    .int()
    .min(1024)
    .max(256 * 1024 ** 2)
    .default(32 * 1024),
  /**
   * A connection that has not completed CONNECT within this is closed (slow or idle clients). Not
   * shorter: in a reconnect storm of thousands of recorders a CONNECT can wait seconds for the
   * loop; what an unfinished CONNECT holds is bounded by maxPacketBytes and the connect rate.
   */
  connectTimeoutS: z.number().positive().default(30),
  /**
   * New connections per remote address: a bucket of `burst`, refilled at `perSecond`. Recorders
   * behind one NAT share an address: the burst covers an office reconnecting after an outage.
   */
  connectRate: z
    .object({
      burst: z.number().int().min(1).default(200),
      perSecond: z.number().positive().default(20),
    })
    .default({ burst: 200, perSecond: 20 }),
});

export const LoginConfig = z.object({
  /** Consecutive failed logins for one account before it is locked until legal affairs unlock it (R24). */
  lockAfter: z.number().int().min(1).default(10),
  /** Failures before backoff starts; then each attempt waits backoffBaseMs x 2^(n - backoffAfter). */
  backoffAfter: z.number().int().min(1).default(3),
  backoffBaseMs: z.number().int().min(0).default(1000),
  backoffMaxMs: z
    .number()
    .int()
    .min(0)
    .default(5 * 60_000),
  /** Failed logins from one address within addressWindowS before the address is locked out for addressLockS. */
  addressLockAfter: z.number().int().min(1).default(50),
  addressWindowS: z
    .number()
    .positive()
    .default(15 * 60),
  addressLockS: z
    .number()
    .positive()
    .default(15 * 60),
});

export const HttpConfig = z.object({
  /**
   * Address the API and dashboard listen on. 0.0.0.0 = every interface (the office LAN); give the
   * LAN interface's address, or 127.0.0.1 behind a reverse proxy, to narrow it.
   */
  host: z.string().default('0.0.0.0'),
  port: Port.default(8080),
  /** HTTPS instead of HTTP (`gateway cert self-signed` writes a pair for a quick start); cookies become Secure. */
  tls: z.object({ certFile: z.string(), keyFile: z.string() }).optional(),
  /** Session lifetime for dashboard logins. */
  sessionHours: z.number().positive().default(12),
  /** A session unused this long ends (idle timeout). */
  sessionIdleMinutes: z.number().positive().default(30),
  /** Expired and idle sessions are deleted this often. */
  sessionPruneS: z.number().positive().default(300),
  /** A request whose headers, or whole request, have not arrived within these is cut off (slow clients). */
  headersTimeoutS: z.number().positive().default(10),
  requestTimeoutS: z.number().positive().default(30),
  /** Request bodies larger than this are refused with 413 while they stream in, before more is read. */
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  login: LoginConfig.default(LoginConfig.parse({})),
});
export type HttpConfig = z.infer<typeof HttpConfig>;

export const FleetConfig = z.object({
  batteryLowPct: z.number().min(0).max(100).default(25),
  batteryCriticalPct: z.number().min(0).max(100).default(10),
  storageLowPct: z.number().min(0).max(100).default(10),
  clockDriftMaxMs: z.number().positive().default(2000),
  /**
   * The telemetry clock estimate takes the least-delayed sample of this window (clock-offset.ts):
   * longer rides out longer gateway stalls, shorter sees a clock stepped back sooner. A recorder's
   * estimate counts once its samples span a quarter of the window (a first packet may be late).
   */
  clockOffsetWindowS: z.number().positive().default(120),
  firmwareMin: z.string().default('2.0.0'),
  /** Battery/storage history is kept one point per bucket (downsampled for charts). */
  historyBucketS: z.number().positive().default(60),
  historyKeepH: z.number().positive().default(72),
  /**
   * The one shift length: a shift starts when a recorder leaves the dock; forecasts shorter than its
   * rest alert, and check-out readiness (pairing) is judged against it.
   */
  shiftHours: z.number().positive().default(10),
  /** Draw (battery %/h, storage B/s) is estimated over this much recent history. */
  forecastWindowS: z.number().positive().default(1800),
  /** Health is written to LevelDB in batches this often (never per message); live state is in memory. */
  flushIntervalS: z.number().positive().default(10),
  /** Per recorder, at most one `recorder.telemetry` live event this often (5000 recorders: 1000/s). */
  liveTelemetryMinS: z.number().min(0).default(5),
  commandTimeoutS: z.number().positive().default(10),
});

export const InterruptionConfig = z.object({
  /** R19: an interruption not resumed within this time alerts the principal. */
  resumeTimeoutS: z.number().positive().default(300),
  /** R18: gap between consecutive segments above this is an interruption. */
  gapToleranceS: z.number().min(0).default(5),
  /** Roles told at once (R19: the principal). */
  notifyRoles: z.array(z.string()).default(['principal', 'legal-affairs']),
});

export const DockConfig = z.object({
  /** Serial ports: paths and globs, e.g. /dev/ttyACM*, /dev/ttyUSB*. */
  ports: z.array(z.string()).default(['/dev/ttyACM*', '/dev/ttyUSB*']),
  baudRate: z.number().int().positive().default(921600),
  /** Readiness forecast at check-out: battery draw assumed while recording (%/h; a recorder's own last shift may raise it). */
  batteryDrawPctPerH: z.number().positive().default(9),
  /** Readiness forecast: storage filled per hour of recording (1080p about 2.6 GB/h). */
  recordBytesPerH: z.number().positive().default(2.6e9),
  /** How often pending clips are checked against their 24 h deadline (R22). */
  overdueCheckS: z.number().positive().default(60),
  /**
   * The work reserve: ingest pauses, hearings are held (an interruption, R19) and new hearings and
   * evidence discs are refused when free disk would fall below this (store/disk-watch.ts).
   */
  reserveBytes: z
    .number()
    .int()
    .min(0)
    .default(2 * 1024 ** 3),
  /** READs in flight and bytes per READ (bench/ingest.ts: 32 x 60 KiB beat 8 x 32 KiB by ~15 % on PTYs). */
  readWindow: z.number().int().min(1).max(64).default(DockTiming.WINDOW),
  chunkBytes: z
    .number()
    .int()
    .min(512)
    .max(60 * 1024)
    .default(DockTiming.READ_BYTES),
  /** A recorder that lies about a hash this many times gets the clip quarantined. */
  maxHashRetries: z.number().int().min(1).default(DockTiming.MAX_HASH_FETCHES),
  /** A transfer is fsynced and its offset persisted every this many bytes (resume point after a crash). */
  checkpointBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .default(8 * 1024 * 1024),
});

export const CameraEntry = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  xaddr: z.string().url(),
  user: z.string(),
  password: z.string(),
  roomId: z.string().optional(),
  /**
   * The stream to record when the one the camera names is not reachable from here (address
   * translation): rtsp(s)://host:port/path, without credentials. Default: what GetStreamUri says.
   */
  streamUri: z
    .string()
    .max(2048)
    .regex(/^rtsps?:\/\/[^/@\s]+(\/\S*)?$/, 'rtsp(s)://host[:port]/path without credentials')
    .optional(),
});

/** Warm pre-roll cache per assigned camera: a hearing's lead-in (gateway/recording/preroll.ts). */
export const PrerollConfig = z.object({
  enabled: z.boolean().default(true),
  /** Cache segment length, s (cut on keyframes, so never shorter than the camera's GOP). */
  segmentSeconds: z.number().int().min(1).max(10).default(1),
  /** Cache segments kept; older ones are deleted (also after ringSegments + 1 segment lengths). */
  ringSegments: z.number().int().min(2).max(60).default(5),
});

export const CameraConfig = z.object({
  rooms: z.array(z.object({ id: z.string(), name: z.string() })).default([]),
  cameras: z.array(CameraEntry).default([]),
  segmentSeconds: z.number().int().min(2).max(3600).default(60),
  /** No fresh data for this long -> interruption (R18/R19). */
  staleDataS: z.number().positive().default(3),
  /** Not resumed within this -> principal alert (R19). */
  resumeAlertS: z.number().positive().default(60),
  healthPollS: z.number().positive().default(30),
  ffmpegPath: z.string().default('ffmpeg'),
  /** IPv4 address of the interface WS-Discovery probes on (127.0.0.1 for simulated cameras). */
  discoveryInterface: z.string().optional(),
  discoveryTimeoutMs: z.number().int().min(100).max(30_000).default(3000),
  /** Hostile-camera limits for every SOAP exchange (see gateway/cameras/soap-guard.ts). */
  soapTimeoutMs: z.number().int().min(100).max(60_000).default(5000),
  soapMaxBytes: z
    .number()
    .int()
    .min(4096)
    .default(1024 * 1024),
  /** Segments are written here until they are in the store (default <dataDir>/recording). */
  workDir: z.string().optional(),
  preroll: PrerollConfig.default(PrerollConfig.parse({})),
});

/** Continuous verification of the originals (R25): a scheduled, throttled full re-hash. */
export const IntegrityConfig = z.object({
  /** A full sweep of the store this often; 0 = never (on demand only). */
  sweepEveryH: z.number().min(0).default(168),
  /** The first sweep this long after start, and never sooner than sweepEveryH after the last one. */
  firstSweepAfterS: z.number().min(0).default(900),
  /** Read rate of the sweep, MB/s, so ingest and recording keep their speed. */
  sweepMbPerS: z.number().positive().default(50),
  /** Roles told at once of an integrity failure. */
  notifyRoles: z.array(z.string()).default(['principal', 'legal-affairs']),
});

/** R14 recording list: activity -> continuous (whole process) or as-needed. */
export const RecordingList = z.partialRecord(Activity, z.enum(['continuous', 'as-needed']));

/** R26 compliance report and R7 statistics: the tolerances each rule uses (RULES.md). */
export const ComplianceConfig = z.object({
  /** R19: an interruption needs its written explanation within this many hours of its end. */
  explainWithinH: z.number().positive().default(72),
  /** A recorder fault neither cleared nor followed by a maintenance entry within this is ignored. */
  faultIgnoredH: z.number().positive().default(24),
  /** R21: a recorder without a maintenance entry (or registration) for this long is overdue. */
  maintenanceEveryDays: z.number().positive().default(180),
  /** Case stages (R9–R13) that must have a recording once the case has left them. */
  stagesNeedingRecording: z.array(z.string().min(1).max(64)).default(['investigation', 'service-execution']),
  /** The summary's statistics are recomputed in the background this often (served precomputed). */
  refreshS: z.number().positive().default(60),
  /** The previous month's report is generated and archived (file + audit entry) after month end. */
  monthlyReport: z.boolean().default(true),
});

export type ComplianceConfig = z.infer<typeof ComplianceConfig>;

export const DemoConfig = z.object({
  recorders: z.number().int().min(0).max(10_000).default(8),
  cameras: z.number().int().min(0).max(64).default(2),
  speed: z.number().positive().default(1),
  docks: z.number().int().min(0).max(16).default(2),
  /** A month of history seeded on a fresh data dir (R7, R26 have something to say at once); 0 = none. */
  historyDays: z.number().int().min(0).max(366).default(30),
  /** The history's random seed: the same seed makes the same month. */
  seed: z.number().int().default(7),
});

/** Upstream MQTT broker that keeps each checkpoint retained (FORMATS.md §2 witness). */
export const MqttWitnessConfig = z.object({
  /** mqtt://, mqtts://, ws:// or wss:// URL of the central archive's broker. */
  url: z.string().url(),
  /** Default `custody/<gatewayId>/checkpoint`. */
  topic: z.string().min(1).max(256).optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  timeoutMs: z.number().int().min(500).max(120_000).default(10_000),
});

/** Signed checkpoints of the audit log and the witnesses they go to (R25, FORMATS.md §1–2). */
export const CustodyConfig = z.object({
  /** The checkpoints' `origin`: names this gateway on receipts and discs. */
  gatewayId: z
    .string()
    .min(1)
    .max(128)
    .regex(/^[^\p{Cc}]+$/u, 'no control characters')
    .default(hostname()),
  /** Ed25519 key (PKCS#8 PEM, made on first start); default `<dataDir>/keys/gateway-ed25519.pem`. */
  keyFile: z.string().optional(),
  /** A checkpoint is issued at least this often when the log grew (and at start, and on demand). */
  intervalH: z.number().positive().default(24),
  witnesses: z
    .object({
      /** Directories (USB stick, mounted share); the first is also read back at start. */
      directories: z.array(z.string().min(1)).default([]),
      /** Write the receipt PDF next to each checkpoint in the directories. */
      receipts: z.boolean().default(true),
      mqtt: z.array(MqttWitnessConfig).default([]),
    })
    .default({ directories: [], receipts: true, mqtt: [] }),
});
export type CustodyConfig = z.infer<typeof CustodyConfig>;

/** The case registry (R9–R13). */
export const CasesConfig = z.object({
  /**
   * Case number format per unit: a regular expression the whole number must match (`*` for units
   * without their own). Empty: any 1-64 characters without spaces.
   */
  numberFormats: z
    .record(z.string().min(1).max(64), z.string().min(1).max(500))
    .default({})
    .refine(
      (m) =>
        Object.values(m).every((re) => {
          try {
            new RegExp(re, 'u');
            return true;
          } catch {
            return false;
          }
        }),
      'every number format must be a valid regular expression',
    ),
  /** A case list file (CSV or XLSX) above this is refused before it is read. */
  importMaxBytes: z
    .number()
    .int()
    .positive()
    .max(16 * 1024 * 1024)
    .default(512 * 1024),
  /** Rows read from one file at most (a unit's whole case list fits). */
  importMaxRows: z.number().int().positive().default(5000),
});

export const GatewayConfig = z.object({
  dataDir: z.string().default('./data'),
  timeZone: z.string().default('Asia/Shanghai'),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  mqtt: MqttConfig.default(MqttConfig.parse({})),
  http: HttpConfig.default(HttpConfig.parse({})),
  fleet: FleetConfig.default(FleetConfig.parse({})),
  interruptions: InterruptionConfig.default(InterruptionConfig.parse({})),
  dock: DockConfig.default(DockConfig.parse({})),
  cameras: CameraConfig.default(CameraConfig.parse({})),
  recordingList: RecordingList.default({
    seizure: 'continuous',
    preservation: 'continuous',
    'on-site-enforcement': 'continuous',
    hearing: 'continuous',
    'evidence-collection': 'as-needed',
    inspection: 'as-needed',
    inquiry: 'as-needed',
  }),
  demo: DemoConfig.default(DemoConfig.parse({})),
  compliance: ComplianceConfig.default(ComplianceConfig.parse({})),
  custody: CustodyConfig.default(CustodyConfig.parse({})),
  integrity: IntegrityConfig.default(IntegrityConfig.parse({})),
  cases: CasesConfig.default(CasesConfig.parse({})),
  /** Critical alerts sent out by webhook, 企业微信 / 钉钉 robots and e-mail (R19). */
  notifications: NotificationsConfig.default(NotificationsConfig.parse({})),
  /** Originals, sidecars, checkpoints and log segments replicated to S3 with Object Lock. */
  archive: ArchiveConfig,
  /** Free space kept for state: see store/disk-watch.ts and docs/STATE.md. */
  storage: z
    .object({
      /** Below this, even a login (its session row) is refused; keep it well under dock.reserveBytes. */
      stateReserveBytes: z
        .number()
        .int()
        .min(0)
        .default(64 * 1024 ** 2),
      /** How often free space is read for the alarm (s); every refusal reads it again anyway. */
      checkS: z.number().positive().default(5),
    })
    .default({ stateReserveBytes: 64 * 1024 ** 2, checkS: 5 }),
  /** Health, events, alerts and checkpoints forwarded to the province's central broker (PROTOCOL.md §7). */
  uplink: UplinkConfig.default(UplinkConfig.parse({})),
  observability: z
    .object({
      /**
       * A file holding the bearer token remote scrapers send to /metrics (16+ characters); without
       * it /metrics answers loopback clients only.
       */
      metricsTokenFile: z.string().min(1).optional(),
    })
    .default({}),
});
export type GatewayConfig = z.infer<typeof GatewayConfig>;
export type GatewayConfigInput = z.input<typeof GatewayConfig>;

export function parseConfig(input: unknown, source = 'config'): GatewayConfig {
  const r = GatewayConfig.safeParse(input ?? {});
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new GatewayError('CONFIG_INVALID', `${source} is invalid:\n${lines.join('\n')}`);
  }
  return r.data;
}

export async function loadConfig(path?: string): Promise<GatewayConfig> {
  if (!path) return parseConfig({});
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new GatewayError('CONFIG_INVALID', `cannot read config ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new GatewayError('CONFIG_INVALID', `${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(json, path);
}
