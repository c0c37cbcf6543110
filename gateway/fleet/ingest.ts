/**
 * Routes validated recorder traffic from the broker hooks to the services. Telemetry, status and
 * command answers are handled synchronously in memory. Events go through one queue per recorder:
 * de-duplicated by (serial, id) (PROTOCOL.md §2.2), then handled strictly in arrival order, which
 * after a network loss is the recorder's buffered order; presence changes join the same queue so
 * "recording stopped, then went offline" is seen in that order.
 */
import type { CommandResponse, RecorderEvent, Status, Telemetry } from '../../protocol/mqtt/messages.js';
import type { RecorderTraffic } from '../broker/broker.js';
import type { EventBus, Service } from '../events.js';
import type { InterruptionService } from '../interruptions/service.js';
import type { SessionTracker } from '../interruptions/sessions.js';
import type { Logger } from '../log.js';
import type { CommandSender } from './commands.js';
import type { FleetHealth } from './health.js';
import type { SeenIds } from './seen.js';

export interface RecorderIngestOptions {
  health: FleetHealth;
  sessions: SessionTracker;
  interruptions: InterruptionService;
  commands: CommandSender;
  seen: SeenIds;
  bus: EventBus;
  log: Logger;
}

export class RecorderIngest implements RecorderTraffic, Service {
  readonly name = 'recorder-ingest';
  readonly #o: RecorderIngestOptions;
  readonly #queues = new Map<string, Promise<void>>();
  #events = 0;
  #duplicates = 0;

  constructor(opts: RecorderIngestOptions) {
    this.#o = opts;
    opts.health.onPresence((serial, online, info) =>
      this.#enqueue(serial, () => opts.sessions.presence(serial, online, info)),
    );
  }

  telemetry(serial: string, t: Telemetry, receivedAt: number): void {
    this.#o.health.telemetry(serial, t, receivedAt);
    if (this.#o.sessions.awaitingBack(serial))
      this.#enqueue(serial, () => this.#o.sessions.back(serial, t.at));
    // R19 resume timeouts also run on the device's clock (buffered data, simulated clocks).
    if (this.#o.interruptions.hasOngoing('recorder', serial)) {
      this.#enqueue(serial, () => this.#o.interruptions.observeDeviceTime('recorder', serial, t.at));
    }
  }

  status(serial: string, s: Status, receivedAt: number): void {
    this.#o.health.status(serial, s.online, receivedAt);
    if (s.online) this.#enqueue(serial, () => this.#o.sessions.back(serial, s.at));
  }

  connection(serial: string, connected: boolean, at: number): void {
    this.#o.health.connection(serial, connected, at);
  }

  commandResponse(serial: string, r: CommandResponse, receivedAt: number): void {
    this.#o.commands.response(serial, r, receivedAt);
  }

  event(serial: string, e: RecorderEvent, _receivedAt: number): void {
    this.#enqueue(serial, async () => {
      const seen = await this.#o.seen.firstTime(serial, e.id);
      if (!seen.first) {
        this.#duplicates++;
        this.#o.log.debug({ recorder: serial, id: e.id, seq: e.seq }, 'duplicate event ignored');
        return;
      }
      this.#events++;
      try {
        this.#o.health.event(serial, e);
        await this.#o.sessions.event(serial, e);
        if (e.type === 'segment-closed') {
          const { sessionId, clipId, start, end, bytes, sha256 } = e;
          this.#o.bus.emit('recorder.segment', { serial, sessionId, clipId, start, end, bytes, sha256 });
        }
        if (this.#o.interruptions.hasOngoing('recorder', serial)) {
          await this.#o.interruptions.observeDeviceTime('recorder', serial, e.at);
        }
        this.#o.bus.emit('recorder.event', {
          serial,
          type: e.type,
          id: e.id,
          at: new Date(e.at).toISOString(),
        });
      } finally {
        // The id is durable before this recorder's next event is handled.
        await seen.persisted;
      }
    });
  }

  async start(): Promise<void> {}

  /** Stops after the broker: lets queued events finish before storage closes. */
  async stop(): Promise<void> {
    await this.idle();
  }

  stats(): { events: number; duplicates: number } {
    return { events: this.#events, duplicates: this.#duplicates };
  }

  /** Resolves when every queued event has been handled (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.#queues.size > 0) await Promise.all(this.#queues.values());
  }

  #enqueue(serial: string, task: () => Promise<void>): void {
    const prev = this.#queues.get(serial) ?? Promise.resolve();
    const next = prev.then(task).catch((err) => {
      this.#o.log.error({ err, recorder: serial }, 'recorder event handling failed');
    });
    this.#queues.set(serial, next);
    void next.then(() => {
      if (this.#queues.get(serial) === next) this.#queues.delete(serial);
    });
  }
}
