/**
 * V8 heap sizing for the gateway process. By default V8 lets the old generation grow to 2–4 times
 * what was live after the last full collection before it collects again; at 5000 recorders that is
 * ~130 MB live in a heap of 300+ MB (bench/README.md, telemetry). A growing factor of 1.25 keeps the
 * heap near what is live, for a few more, incremental, full collections.
 */
import { setFlagsFromString } from 'node:v8';

/** Percent the old generation may grow past what was live before V8 collects it again. */
export const HEAP_GROWING_PERCENT = 25;

/** Read by V8 each time it sizes the heap after a full collection, so it applies from the next one. */
export function tuneHeap(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
