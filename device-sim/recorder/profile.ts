/**
 * Hardware profile of a simulated recorder: battery, storage, clock and firmware settings.
 * Every field has a default close to a typical 1080p body camera, so `RecorderProfile.parse({})` is
 * a usable device. Scenario files override any part of it per fleet or per recorder.
 */
import { z } from 'zod';

/** 1080p at about 2.6 GB per hour. */
export const BITRATE_1080P_BPS = Math.round((2.6e9 * 8) / 3600);

export const StateDrawMw = z.object({
  off: z.number().min(0).default(5),
  idle: z.number().min(0).default(250),
  recording: z.number().min(0).default(1300),
  docked: z.number().min(0).default(250),
  fault: z.number().min(0).default(150),
});

export const BatteryParams = z.object({
  capacityMah: z.number().positive().default(4000),
  nominalVoltageMv: z.number().int().positive().default(3700),
  /** Power drawn in each state. */
  drawMw: StateDrawMw.prefault({}),
  /** Fast charge rate as a fraction of capacity per hour (C-rate), up to `taperFromPct`. */
  chargeRateC: z.number().positive().default(0.8),
  /** Above this the charge current tapers linearly to `trickleC` at 100 %. */
  taperFromPct: z.number().min(1).max(100).default(80),
  trickleC: z.number().positive().default(0.05),
  initialPct: z.number().min(0).max(100).default(100),
  /** Firmware shuts down (in order) at or below this level. */
  criticalPct: z.number().min(0).max(20).default(1),
  ambientC: z.number().min(-40).max(60).default(22),
});
export type BatteryParams = z.infer<typeof BatteryParams>;

export const StorageParams = z.object({
  capacityBytes: z.number().int().positive().default(64e9),
  bitrateBps: z.number().int().positive().default(BITRATE_1080P_BPS),
  /** Space already taken by clips from earlier shifts not yet released. */
  initialUsedBytes: z.number().int().min(0).default(0),
});
export type StorageParams = z.infer<typeof StorageParams>;

export const ClockParams = z.object({
  offsetMs: z.number().int().default(0),
  driftPpm: z.number().min(-10_000).max(10_000).default(0),
});
export type ClockParams = z.infer<typeof ClockParams>;

export const RecorderProfile = z.object({
  model: z.string().min(1).max(64).default('DSJ-BC1'),
  firmware: z.string().min(1).max(32).default('1.4.2'),
  battery: BatteryParams.prefault({}),
  storage: StorageParams.prefault({}),
  clock: ClockParams.prefault({}),
  segmentSeconds: z.number().int().min(1).max(3600).default(300),
  telemetryIntervalS: z.number().min(0.1).max(3600).default(10),
  /** How often the firmware polls battery and storage (simulated seconds). */
  pollSeconds: z.number().min(0.1).max(600).default(5),
  /** Where the recorder starts; telemetry walks around this point. */
  position: z
    .object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) })
    .default({ lat: 31.2304, lon: 121.4737 }),
  /** Events kept on the device while the link is down; the oldest are dropped beyond this. */
  outboxCapacity: z.number().int().min(1).max(1_000_000).default(10_000),
});
export type RecorderProfile = z.infer<typeof RecorderProfile>;
/** What a scenario may give: any subset, filled with defaults. */
export type RecorderProfileInput = z.input<typeof RecorderProfile>;
