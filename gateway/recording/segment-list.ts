/**
 * The segment muxer's csv list (`-segment_list_type csv`): one `file,start,end` line per closed
 * segment, times in seconds on the run's timeline. A line appears only once the segment file is
 * complete, so it is our "segment closed" signal.
 */
import { open, readFile } from 'node:fs/promises';

export interface ListedSegment {
  file: string;
  startS: number;
  endS: number;
}

/** Parses one csv line; null for anything that is not a well-formed entry. */
export function parseSegmentLine(line: string): ListedSegment | null {
  const m = /^("?)([^",\n/\\]+)\1,(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(line.trim());
  if (!m) return null;
  const startS = Number(m[3]);
  const endS = Number(m[4]);
  if (!Number.isFinite(startS) || !Number.isFinite(endS) || endS < startS) return null;
  return { file: m[2]!, startS, endS };
}

/** Reads lines appended to a file since the last call (a tail without inotify). */
export class ListTail {
  #offset = 0;
  #partial = '';

  constructor(readonly path: string) {}

  async read(): Promise<ListedSegment[]> {
    let fh: Awaited<ReturnType<typeof open>>;
    try {
      fh = await open(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    try {
      const { size } = await fh.stat();
      if (size <= this.#offset) return [];
      const buf = Buffer.alloc(size - this.#offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.#offset);
      this.#offset += bytesRead;
      const text = this.#partial + buf.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      this.#partial = lines.pop() ?? '';
      return lines.map(parseSegmentLine).filter((s): s is ListedSegment => s !== null);
    } finally {
      await fh.close();
    }
  }
}

/**
 * Reads a whole segment list that ffmpeg rewrites (`-segment_list_size`: only the last N closed
 * segments, replaced by rename). Only newline-terminated lines count; a missing list is empty.
 */
export async function readSegmentList(path: string): Promise<ListedSegment[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.split('\n');
  lines.pop();
  return lines.map(parseSegmentLine).filter((s): s is ListedSegment => s !== null);
}
