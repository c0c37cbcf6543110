/**
 * Dock slots = serial ports named by paths and globs (`/dev/ttyACM*`). udev may be absent, so hot-plug
 * is noticed by watching the directories (fs.watch) with a slow rescan as a safety net.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Wildcards (`*`, `?`) are allowed in the last path component only. */
export function compilePattern(pattern: string): { dir: string; test: (name: string) => boolean } {
  const dir = dirname(pattern);
  const base = basename(pattern);
  const re = new RegExp(
    `^${base
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return { dir, test: (name) => re.test(name) };
}

export interface PortWatcherOptions {
  patterns: readonly string[];
  rescanMs?: number;
  onAdded(path: string): void;
  onRemoved(path: string): void;
}

export class PortWatcher {
  readonly #present = new Set<string>();
  readonly #watchers: FSWatcher[] = [];
  #timer?: NodeJS.Timeout;
  #scanning = false;
  #rescanQueued = false;

  constructor(private readonly opts: PortWatcherOptions) {}

  get ports(): string[] {
    return [...this.#present].sort();
  }

  async start(): Promise<void> {
    const dirs = new Set(this.opts.patterns.map((p) => compilePattern(p).dir));
    for (const dir of dirs) {
      try {
        this.#watchers.push(watch(dir, () => void this.scan()));
      } catch {
        // Directory absent now: the rescan will notice when it appears.
      }
    }
    await this.scan();
    this.#timer = setInterval(() => void this.scan(), this.opts.rescanMs ?? 2000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    for (const w of this.#watchers.splice(0)) w.close();
  }

  async scan(): Promise<void> {
    if (this.#scanning) {
      this.#rescanQueued = true;
      return;
    }
    this.#scanning = true;
    try {
      const now = new Set<string>();
      for (const p of this.opts.patterns) {
        const { dir, test } = compilePattern(p);
        const names = await readdir(dir).catch(() => [] as string[]);
        for (const n of names) if (test(n)) now.add(join(dir, n));
      }
      for (const p of now) {
        if (!this.#present.has(p)) {
          this.#present.add(p);
          this.opts.onAdded(p);
        }
      }
      for (const p of [...this.#present]) {
        if (!now.has(p)) {
          this.#present.delete(p);
          this.opts.onRemoved(p);
        }
      }
    } finally {
      this.#scanning = false;
      if (this.#rescanQueued) {
        this.#rescanQueued = false;
        void this.scan();
      }
    }
  }
}
