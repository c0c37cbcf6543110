/**
 * The channel's watchdog logic against a scripted recorder (unit test of the state machine; the
 * real ffmpeg and cameras are in test/hearings). Fake timers: no waiting, no timing assertions.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../gateway/log.js';
import { CameraChannel, type InterruptionPort } from '../../gateway/recording/channel.js';
import type { FfmpegArgv } from '../../gateway/recording/ffmpeg-args.js';
import type { MediaProbe, RunExit, RunHooks, StreamRecorder } from '../../gateway/recording/recorder.js';

interface FakeRun {
  argv: FfmpegArgv;
  hooks: RunHooks;
  stops: { urgent?: boolean }[];
  exit(e?: Partial<RunExit>): void;
}

class ScriptedRecorder implements StreamRecorder {
  runs: FakeRun[] = [];
  start(argv: FfmpegArgv, hooks: RunHooks) {
    let done = false;
    let resolveExit!: (e: RunExit) => void;
    const exited = new Promise<RunExit>((r) => {
      resolveExit = r;
    });
    const run: FakeRun = {
      argv,
      hooks,
      stops: [],
      exit(e = {}) {
        if (done) return;
        done = true;
        const full: RunExit = { code: 1, signal: null, requested: false, stderrTail: [], ...e };
        hooks.onExit(full);
        resolveExit(full);
      },
    };
    this.runs.push(run);
    return {
      pid: 1000 + this.runs.length,
      stop: (opts?: { urgent?: boolean }) => {
        run.stops.push(opts ?? {});
        run.exit({ code: 255, requested: true });
        return exited;
      },
    };
  }
}

const probe: MediaProbe = {
  probe: async () => ({ durationS: 1, videoCodec: 'h264', width: 1, height: 1, audioCodec: null }),
};

function interruptions() {
  const calls: { op: string; args: unknown[] }[] = [];
  const port: InterruptionPort = {
    open: async (i) => {
      calls.push({ op: 'open', args: [i] });
      return { id: `ir${calls.length}` };
    },
    resume: async (id, at) => {
      calls.push({ op: 'resume', args: [id, at] });
    },
    end: async (id, e) => {
      calls.push({ op: 'end', args: [id, e] });
    },
  };
  return { port, calls };
}

describe('camera channel watchdog', () => {
  let dir: string;
  let now: number;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chan-'));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    now = 1_000_000;
  });
  afterEach(async () => {
    vi.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  async function advance(ms: number) {
    now += ms;
    await vi.advanceTimersByTimeAsync(ms);
  }

  function channel(
    rec: ScriptedRecorder,
    port: InterruptionPort,
    audio: 'copy' | 'none' = 'none',
    heardAgoMs?: () => number | null,
  ) {
    return new CameraChannel({
      sessionId: 's1',
      cameraId: 'cam1',
      roomId: 'R1',
      source: { url: 'rtsp://127.0.0.9:554/x', transport: 'tcp', audio, fps: 4 },
      dir,
      segmentSeconds: 60,
      staleDataS: 1.5,
      resumeAlertS: 10,
      recorder: rec,
      // The unit under test is the watchdog: the stream URL goes to the scripted recorder as it is.
      access: {
        open: (ep) => ({
          url: ep.url,
          failure: () => null,
          bind() {},
          close() {},
          ...(heardAgoMs ? { heardAgoMs } : {}),
        }),
      },
      probe,
      onSegment: async () => {},
      interruptions: port,
      log: createLogger({ level: 'silent' }),
      now: () => now,
    });
  }

  /** ffmpeg reports: `frames` muxed so far and media time `outMs`, at the current fake time. */
  const report = (run: FakeRun, frames: number, outMs: number) =>
    run.hooks.onProgress({ frame: frames, outTimeMs: outMs, progress: 'continue' }, now);

  it('opens an interruption at the last media reported, replaces the stalled run, resumes on new flow', async () => {
    const rec = new ScriptedRecorder();
    const { port, calls } = interruptions();
    const ch = channel(rec, port);
    ch.start();
    const r1 = rec.runs[0]!;
    await advance(100);
    report(r1, 0, 0); // connected, waiting for a keyframe: not data
    await advance(250);
    report(r1, 1, 250);
    await advance(250);
    report(r1, 2, 500); // media zero was at t0 + 100 (now - out, least delayed)
    expect(ch.state).toBe('recording');
    const lastMediaAt = 1_000_000 + 100 + 500;

    await advance(1700); // silence beyond staleDataS
    const open = calls.find((c) => c.op === 'open');
    expect(open?.args[0]).toMatchObject({
      source: 'camera',
      device: 'cam1',
      cause: 'stream-lost',
      start: lastMediaAt,
    });
    expect(ch.state).toBe('stalled');
    expect(r1.stops).toEqual([{ urgent: true, graceMs: 2000 }]);
    await advance(10);
    expect(rec.runs).toHaveLength(2); // replaced at once (it had delivered data)

    const r2 = rec.runs[1]!;
    await advance(3000);
    report(r2, 4, 1000); // 4 new frames at 4 fps: this flow began 1000 ms ago
    await advance(250);
    report(r2, 5, 1250);
    await advance(10);
    const resume = calls.find((c) => c.op === 'resume');
    expect(resume?.args).toEqual(['ir1', now - 10 - 250 - 1000]);
    expect(ch.state).toBe('recording');
    await ch.stop();
    expect(calls.filter((c) => c.op === 'end')).toEqual([]);
  });

  it('frames that keep arriving while the written media lags (muxer, slow camera clock, busy box) are no loss', async () => {
    const rec = new ScriptedRecorder();
    const { port, calls } = interruptions();
    const ch = channel(rec, port);
    ch.start();
    const r1 = rec.runs[0]!;
    let frames = 0;
    await advance(250);
    report(r1, ++frames, 250);
    await advance(250);
    report(r1, ++frames, 500);
    // Four seconds more of frames at 4 fps, while the media written gains only a quarter of that:
    // it ends up 3 s behind the wall clock, twice staleDataS.
    for (let i = 1; i <= 16; i++) {
      await advance(250);
      report(r1, ++frames, 500 + i * 62);
    }
    expect(calls).toEqual([]);
    expect([ch.state, r1.stops]).toEqual(['recording', []]);
    // No new frames at all: a loss, dated from the media written last.
    await advance(1750);
    expect(calls.find((c) => c.op === 'open')?.args[0]).toMatchObject({ cause: 'stream-lost' });
    await ch.stop();
  });

  it('backs off when the camera refuses connections, and calls it contact lost', async () => {
    const rec = new ScriptedRecorder();
    const { port, calls } = interruptions();
    const ch = channel(rec, port);
    ch.start();
    const refused = ['rtsp://127.0.0.9:554/x: Connection refused'];
    rec.runs[0]!.exit({ stderrTail: refused });
    await advance(249);
    expect(rec.runs).toHaveLength(1);
    await advance(1);
    expect(rec.runs).toHaveLength(2);
    rec.runs[1]!.exit({ stderrTail: refused });
    await advance(499);
    expect(rec.runs).toHaveLength(2);
    await advance(1);
    expect(rec.runs).toHaveLength(3);
    rec.runs[2]!.exit({ stderrTail: refused });
    await advance(1000);
    const open = calls.find((c) => c.op === 'open');
    expect(open?.args[0]).toMatchObject({ cause: 'contact-lost', start: 1_000_000 });
    await ch.stop();
    // Stopped without resuming: the record ends with the session, not resumed (R19).
    expect(calls.find((c) => c.op === 'end')?.args).toEqual(['ir1', { at: now, resumed: false }]);
  });

  it('converts only the audio track when the camera sends audio MP4 cannot hold', async () => {
    const rec = new ScriptedRecorder();
    const { port } = interruptions();
    const ch = channel(rec, port, 'copy');
    ch.start();
    expect(rec.runs[0]!.argv.outputOptions).toContain('-c');
    rec.runs[0]!.exit({
      stderrTail: [
        'Could not find tag for codec pcm_alaw in stream #1, codec not currently supported in container',
      ],
    });
    await advance(250);
    const next = rec.runs[1]!.argv.outputOptions;
    expect(next[next.indexOf('-c:a') + 1]).toBe('aac');
    expect(next[next.indexOf('-c:v') + 1]).toBe('copy');
    await ch.stop();
  });

  it('does not call a connecting run stalled before its grace, but still records the missing data', async () => {
    const rec = new ScriptedRecorder();
    const { port, calls } = interruptions();
    const ch = channel(rec, port);
    ch.start();
    await advance(1700);
    expect(calls.find((c) => c.op === 'open')?.args[0]).toMatchObject({ start: 1_000_000 });
    expect(rec.runs[0]!.stops).toEqual([]); // still connecting: left alone
    await advance(4000);
    expect(rec.runs[0]!.stops).toHaveLength(1); // connect grace over
    await ch.stop();
  });

  it('a slow start is not a loss: no interruption while the camera is heard, until ffmpeg writes', async () => {
    const rec = new ScriptedRecorder();
    const { port, calls } = interruptions();
    // The relay has the camera's answers and RTP flowing to a run that has not written yet (a busy
    // machine: ffmpeg still spawning, analysing).
    let heard: number | null = null;
    const ch = channel(rec, port, 'none', () => heard);
    ch.start();
    await advance(2000); // ffmpeg has not reached the camera yet
    heard = 100;
    await advance(4000); // the camera sends; ffmpeg writes nothing for 6 s
    expect(calls).toEqual([]);
    expect(rec.runs[0]!.stops).toEqual([]);
    report(rec.runs[0]!, 4, 1000);
    await advance(250);
    report(rec.runs[0]!, 8, 2000);
    await advance(250);
    expect(ch.state).toBe('recording');
    expect(calls).toEqual([]);
    await ch.stop();
  });

  it('before the first frames, a camera that falls silent once asked is a loss from the start', async () => {
    const rec = new ScriptedRecorder();
    const { port, calls } = interruptions();
    let heard: number | null = null;
    const ch = channel(rec, port, 'none', () => heard);
    ch.start();
    await advance(1000);
    heard = 0; // answered PLAY, then nothing
    await advance(1000);
    expect(calls).toEqual([]);
    heard = 1600;
    await advance(200);
    expect(calls.find((c) => c.op === 'open')?.args[0]).toMatchObject({
      cause: 'stream-lost',
      start: 1_000_000,
    });
    await ch.stop();
  });
});
