/**
 * Live updates: one EventSource on /api/events for the whole app (the gateway's bus, event name =
 * SSE event type, JSON data). Pages subscribe to the names they care about and refetch or patch.
 */
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import type { EventName, GatewayEvents } from '../../gateway/events.js';

export type { EventName, GatewayEvents };

/** Every bus event name; the check below fails the typecheck when gateway/events.ts adds one. */
const EVENT_NAMES = [
  'recorder.online',
  'recorder.telemetry',
  'recorder.health',
  'recorder.rejected',
  'recorder.event',
  'recorder.segment',
  'interruption.opened',
  'interruption.updated',
  'session.flagged',
  'alert.raised',
  'alert.cleared',
  'dock.changed',
  'ingest.progress',
  'clip.stored',
  'pairing.changed',
  'camera.changed',
  'hearing.changed',
  'hearing.segment',
  'export.changed',
  'integrity.failed',
] as const satisfies readonly EventName[];
type Missing = Exclude<EventName, (typeof EVENT_NAMES)[number]>;
const allNamed: [Missing] extends [never] ? true : Missing = true;
void allNamed;

type AnyHandler = <K extends EventName>(name: K, payload: GatewayEvents[K]) => void;

export class LiveStream {
  #source: EventSource | null = null;
  readonly #handlers = new Set<AnyHandler>();
  readonly #status = new Set<(connected: boolean) => void>();
  connected = false;

  open(): void {
    if (this.#source) return;
    const es = new EventSource('/api/events', { withCredentials: true });
    this.#source = es;
    es.addEventListener('hello', () => this.#setConnected(true));
    es.onerror = () => this.#setConnected(false);
    for (const name of EVENT_NAMES) {
      es.addEventListener(name, (ev) => {
        let payload: unknown;
        try {
          payload = JSON.parse((ev as MessageEvent<string>).data);
        } catch {
          return;
        }
        for (const h of this.#handlers) {
          try {
            h(name, payload as GatewayEvents[typeof name]);
          } catch (err) {
            console.error('live handler failed', name, err);
          }
        }
      });
    }
  }

  close(): void {
    this.#source?.close();
    this.#source = null;
    this.#setConnected(false);
  }

  subscribe(fn: AnyHandler): () => void {
    this.#handlers.add(fn);
    return () => this.#handlers.delete(fn);
  }

  onStatus(fn: (connected: boolean) => void): () => void {
    this.#status.add(fn);
    return () => this.#status.delete(fn);
  }

  #setConnected(c: boolean): void {
    if (c === this.connected) return;
    this.connected = c;
    for (const fn of this.#status) fn(c);
  }
}

const LiveContext = createContext<LiveStream | null>(null);

export function LiveProvider({ stream, children }: { stream: LiveStream; children: ReactNode }) {
  return <LiveContext.Provider value={stream}>{children}</LiveContext.Provider>;
}

function useStream(): LiveStream {
  const s = useContext(LiveContext);
  if (!s) throw new Error('useLive outside LiveProvider');
  return s;
}

/** Calls `handler` for each event whose name is in `names` (handler may change between renders). */
export function useLive<K extends EventName>(
  names: readonly K[],
  handler: (name: K, payload: GatewayEvents[K]) => void,
): void {
  const stream = useStream();
  const ref = useRef(handler);
  ref.current = handler;
  const key = names.join(',');
  useEffect(() => {
    const wanted = new Set<string>(key.split(','));
    return stream.subscribe((name, payload) => {
      if (wanted.has(name)) ref.current(name as unknown as K, payload as unknown as GatewayEvents[K]);
    });
  }, [stream, key]);
}

export function useLiveConnected(): boolean {
  const stream = useStream();
  const [c, setC] = useState(stream.connected);
  useEffect(() => stream.onStatus(setC), [stream]);
  return c;
}
