/**
 * Placing a recorder's device times on the gateway's clock (PROTOCOL.md §3.9.2). Each dock sync
 * measures the offset the clock had drifted to (device minus gateway, before the step) and the
 * residual left after it. Between two syncs the drift is taken as linear: from the earlier sync's
 * residual to the later one's measured offset. After the last sync only its residual is known.
 */
import type { ClockSample } from '../dock/time-sync.js';

/** Device clock minus gateway clock (ms) around device time `deviceMs`; null with no samples. */
export function offsetAt(samples: readonly ClockSample[], deviceMs: number): number | null {
  const asc = [...samples].sort((a, b) => a.at - b.at);
  let prev: ClockSample | undefined;
  for (const s of asc) {
    // The sync's own moment on the device's clock, before its step.
    if (deviceMs <= s.at + s.offsetMs) {
      if (!prev) return s.offsetMs;
      const from = prev.residualMs;
      const span = s.at - prev.at;
      const gwGuess = deviceMs - s.offsetMs;
      const f = span > 0 ? Math.min(1, Math.max(0, (gwGuess - prev.at) / span)) : 1;
      return Math.round(from + (s.offsetMs - from) * f);
    }
    prev = s;
  }
  return prev ? prev.residualMs : null;
}

/** Device time to gateway time; unchanged when the offset is unknown. */
export function toGatewayTime(deviceMs: number, offset: number | null): number {
  return offset === null ? deviceMs : deviceMs - offset;
}
