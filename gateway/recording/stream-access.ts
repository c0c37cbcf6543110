/**
 * How an ffmpeg run reaches a camera stream without ever holding the camera's password (a
 * process's argv is readable by every local user): the recorder asks for a ticket, gives ffmpeg
 * the ticket's URL, and closes the ticket when the run ends. rtsp-relay.ts is the implementation
 * for RTSP cameras; a test may bring another.
 */
import type { StreamTransport } from './ffmpeg-args.js';
import type { SdpTrack } from './sdp.js';

export interface StreamEndpoint {
  /** Which camera (for the relay's auth outcome report). */
  cameraId: string;
  /** The camera's stream URL, without credentials. */
  url: string;
  transport: StreamTransport;
  username?: string;
  password?: string;
}

/** Why the stream could not be had, as the access layer saw it (not ffmpeg's words). */
export type StreamFailure =
  /** The camera answered RTSP 401 to our credentials, or 403. */
  | { kind: 'auth'; status: number }
  /** The camera could not be reached (connect failed, closed before answering). */
  | { kind: 'unreachable'; message: string }
  /** The camera does not serve RTP over the lower transport asked for (RTSP 461). */
  | { kind: 'transport'; status: number };

export interface StreamTicket {
  /** The URL ffmpeg opens: no credentials, good for one connection of one run. */
  readonly url: string;
  /** The first failure seen on this ticket, if any. */
  failure(): StreamFailure | null;
  /**
   * How long ago the camera last sent anything (an answer, RTP) for this ticket; null before it
   * has. Evidence that a run still without output is slow, not cut off from its camera.
   */
  heardAgoMs?(): number | null;
  /**
   * The process this ticket is for (its pid once spawned): the stream is then given only to a
   * connection that process holds. Bind right after spawning, before the process can connect.
   */
  bind(pid: () => number | undefined): void;
  /** The run is over: the ticket and its connections end. */
  close(): void;
}

export interface StreamAccess {
  open(endpoint: StreamEndpoint): StreamTicket;
  /**
   * The stream's tracks as its SDP lists them (a DESCRIBE with the camera's credentials, or the
   * answer to a recent one); null when the camera did not say.
   */
  describe?(endpoint: StreamEndpoint): Promise<SdpTrack[] | null>;
}
