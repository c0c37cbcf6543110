/**
 * Live updates: one EventSource on /api/events for the whole app (the gateway's bus, event name =
 * SSE event type, JSON data). Pages subscribe to the names they care about and refetch or patch.
 */
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import type { EventName, GatewayEvents } from '../../gateway/api/responses.js';

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
  'clip.archived',
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

/** How long a stream that has not said hello yet counts as connecting rather than lost. */
const CONNECT_GRACE_MS = 10_000;
/** A stream the browser gave up on (an HTTP error, not a dropped connection) is reopened after this. */
const REOPEN_MS = 3000;

export class LiveStream {
  #source: EventSource | null = null;
  readonly #handlers = new Set<AnyHandler>();
  readonly #status = new Set<(connected: boolean) => void>();
  readonly #lost = new Set<() => void>();
  #timers: ReturnType<typeof setTimeout>[] = [];
  connected = false;
  /** Once the stream failed or stayed silent past the grace: what the page shows may be stale. */
  lost = false;

  open(): void {
    if (this.#source) return;
    const es = new EventSource('/api/events', { withCredentials: true });
    this.#source = es;
    this.#timers.push(setTimeout(() => !this.connected && this.#setLost(true), CONNECT_GRACE_MS));
    es.addEventListener('hello', () => this.#setConnected(true));
    es.onerror = () => {
      this.#setConnected(false);
      this.#setLost(true);
      if (es.readyState === EventSource.CLOSED && this.#source === es) {
        this.#source = null;
        this.#timers.push(setTimeout(() => this.open(), REOPEN_MS));
      }
    };
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
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    this.#source?.close();
    this.#source = null;
    this.#setConnected(false);
  }

  /** Called each time the stream is lost (the shell asks the gateway whether the session still holds). */
  onLost(fn: () => void): () => void {
    this.#lost.add(fn);
    return () => this.#lost.delete(fn);
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
    if (c) this.#setLost(false);
    if (c === this.connected) return;
    this.connected = c;
    for (const fn of this.#status) fn(c);
  }

  #setLost(lost: boolean): void {
    if (lost === this.lost) return;
    this.lost = lost;
    for (const fn of this.#status) fn(this.connected);
    if (lost) for (const fn of this.#lost) fn();
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

/**
 * The gateway cannot be reached (连接中断): the live stream failed, or said nothing for a few
 * seconds after opening. Pages then stop claiming states they cannot know (可领用).
 */
export function useConnectionLost(): boolean {
  const stream = useStream();
  const [lost, setLost] = useState(stream.lost);
  useEffect(() => stream.onStatus(() => setLost(stream.lost)), [stream]);
  return lost;
}
