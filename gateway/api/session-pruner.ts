/** Deletes expired and idle dashboard sessions on a timer, so ended sessions do not pile up in the index. */
import type { Service } from '../events.js';
import type { Logger } from '../log.js';
import type { UserStore } from '../users.js';

export class SessionPruner implements Service {
  readonly name = 'session-pruner';
  #timer?: NodeJS.Timeout;

  constructor(
    private readonly users: UserStore,
    private readonly everyMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.prune();
    this.#timer = setInterval(() => void this.prune(), this.everyMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async prune(): Promise<number> {
    try {
      const n = await this.users.pruneSessions();
      if (n) this.log.info({ sessions: n }, 'ended sessions pruned');
      return n;
    } catch (err) {
      this.log.error({ err }, 'session pruning failed');
      return 0;
    }
  }
}
