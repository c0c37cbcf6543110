/** What every conformance check yields, shared by the dock (PROTOCOL.md §3) and MQTT (§2) kits. */
export interface CheckResult {
  section: string;
  name: string;
  ok: boolean;
  detail: string;
  /** The frames or packets that proved it, one line each. */
  frames: string[];
}

/** Thrown inside a check: the rule was broken (as opposed to the kit itself failing). */
export class CheckFailed extends Error {}

export function must(cond: unknown, message: string): asserts cond {
  if (!cond) throw new CheckFailed(message);
}

/** Runs one check's body: a string it returns is the detail; a CheckFailed is the rule broken, any other error the kit's. */
export async function outcome(fn: () => Promise<unknown>): Promise<{ ok: boolean; detail: string }> {
  try {
    const said = await fn();
    return { ok: true, detail: typeof said === 'string' ? said : '' };
  } catch (e) {
    return {
      ok: false,
      detail: e instanceof CheckFailed ? e.message : `kit error: ${(e as Error).stack ?? e}`,
    };
  }
}
