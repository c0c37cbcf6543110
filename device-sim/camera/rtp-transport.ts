import { createSocket, type Socket as UdpSocket } from 'node:dgram';

/**
 * How a track's RTP reaches a client (RFC 2326 §12.39 Transport): interleaved on the RTSP TCP
 * connection (§10.12), or unicast UDP to the client's ports (what ONVIF Profile S requires of a
 * camera; RTP/AVP with no lower transport means UDP). The camera offers either or both.
 */
export type RtpLowerTransport = 'tcp' | 'udp';

export type TrackTransport =
  /** Interleaved channel numbers. */
  | { kind: 'tcp'; rtp: number; rtcp: number }
  /** The client's ports, at the address of its RTSP connection. */
  | { kind: 'udp'; rtp: number; rtcp: number; host: string };

/**
 * The first alternative (in the client's preference order) this camera serves, or null (461).
 * A UDP `destination` is never honoured: RTP goes only to the host the request came from, so the
 * camera cannot be made to flood a third party (RFC 2326 §12.39 allows refusing it).
 */
export function chooseTransport(
  header: string,
  allowed: readonly RtpLowerTransport[],
  clientHost: string,
): TrackTransport | null {
  for (const spec of header.split(',').map((s) => s.trim())) {
    const parts = spec.split(';').map((p) => p.trim());
    const proto = parts[0]?.toUpperCase();
    if (parts.includes('multicast')) continue;
    if (proto === 'RTP/AVP/TCP' && allowed.includes('tcp')) {
      const il = parts.find((p) => p.startsWith('interleaved='));
      const m = il ? /^interleaved=(\d{1,3})(?:-(\d{1,3}))?$/.exec(il) : null;
      if (il && !m) continue;
      const rtp = m ? Number(m[1]) : 0;
      const rtcp = m?.[2] !== undefined ? Number(m[2]) : rtp + 1;
      if (rtp > 255 || rtcp > 255) continue;
      return { kind: 'tcp', rtp, rtcp };
    }
    if ((proto === 'RTP/AVP' || proto === 'RTP/AVP/UDP') && allowed.includes('udp')) {
      const cp = parts.find((p) => p.startsWith('client_port='));
      const m = cp ? /^client_port=(\d{1,5})(?:-(\d{1,5}))?$/.exec(cp) : null;
      if (!m) continue;
      const rtp = Number(m[1]);
      const rtcp = m[2] !== undefined ? Number(m[2]) : rtp + 1;
      if (rtp < 1 || rtp > 65535 || rtcp < 1 || rtcp > 65535) continue;
      return { kind: 'udp', rtp, rtcp, host: clientHost.replace(/^::ffff:/, '') };
    }
  }
  return null;
}

/** The SETUP response's Transport header for a chosen transport. */
export function transportReply(
  t: TrackTransport,
  ssrcHex: string,
  server: { rtp: number; rtcp: number },
): string {
  return t.kind === 'tcp'
    ? `RTP/AVP/TCP;unicast;interleaved=${t.rtp}-${t.rtcp};ssrc=${ssrcHex};mode="PLAY"`
    : `RTP/AVP;unicast;client_port=${t.rtp}-${t.rtcp};server_port=${server.rtp}-${server.rtcp};ssrc=${ssrcHex};mode="PLAY"`;
}

/** The camera's UDP sending ports (one pair for every session, as many cameras do). */
export class UdpRtpPorts {
  #rtp: UdpSocket | undefined;
  #rtcp: UdpSocket | undefined;

  constructor(private readonly host: string) {}

  get ports(): { rtp: number; rtcp: number } {
    return { rtp: this.#rtp?.address().port ?? 0, rtcp: this.#rtcp?.address().port ?? 0 };
  }

  async start(): Promise<void> {
    const bind = (port: number) =>
      new Promise<UdpSocket>((resolve, reject) => {
        const s = createSocket('udp4');
        s.once('error', reject);
        // Receiver reports and NAT-opening packets from clients are read and ignored.
        s.on('message', () => {});
        s.bind(port, this.host, () => {
          s.off('error', reject);
          s.on('error', () => {});
          resolve(s);
        });
      });
    this.#rtp = await bind(0);
    // RTCP on the next port when it is free (RFC 3550 §11), else anywhere.
    this.#rtcp = await bind(this.#rtp.address().port + 1).catch(() => bind(0));
  }

  /** Sends each `$`-framed packet of an interleaved buffer as its own datagram. */
  sendFramed(framed: Buffer, to: TrackTransport & { kind: 'udp' }, rtcp = false): void {
    const sock = rtcp ? this.#rtcp : this.#rtp;
    if (!sock) return;
    for (let off = 0; off + 4 <= framed.length; ) {
      const len = framed.readUInt16BE(off + 2);
      sock.send(framed.subarray(off + 4, off + 4 + len), rtcp ? to.rtcp : to.rtp, to.host);
      off += 4 + len;
    }
  }

  close(): void {
    this.#rtp?.close();
    this.#rtcp?.close();
    this.#rtp = this.#rtcp = undefined;
  }
}
