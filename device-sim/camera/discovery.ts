import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Logger } from 'pino';
import {
  byeMessage,
  helloMessage,
  probeMatches,
  probeMatchesMessage,
  readProbe,
  type TargetDescription,
  WSA_ANONYMOUS,
  WSD_MULTICAST,
  WSD_PORT,
} from './discovery-messages.js';
import { silentLogger } from './log.js';
import { parseXml } from './xml.js';

export interface DiscoveryResponderOptions {
  /** Camera address: replies, Hello and Bye are sent from it. */
  address: string;
  /** Interfaces (by an address on them) to join the group on and to send multicast from. */
  interfaces?: readonly string[];
  describe: () => TargetDescription;
  logger?: Logger;
  /** Multicast port (default 3702; tests of this module may use another). */
  port?: number;
}

/**
 * WS-Discovery target service for one camera (ONVIF Core §7). Listens on 239.255.255.250:3702
 * (shared with other cameras via SO_REUSEADDR), answers matching Probes unicast to the sender,
 * announces Hello on start and Bye on stop.
 */
export class DiscoveryResponder {
  private rx: Socket | undefined;
  private tx: Socket | undefined;
  private instanceId = 0;
  private messageNumber = 0;
  private readonly log: Logger;
  private readonly interfaces: readonly string[];
  private readonly port: number;
  /** While true, Probes are ignored (the `hang` fault). */
  muted = false;
  /** Probes answered since start. */
  answered = 0;

  constructor(private readonly opts: DiscoveryResponderOptions) {
    this.log = opts.logger ?? silentLogger;
    this.interfaces = opts.interfaces ?? ['127.0.0.1'];
    this.port = opts.port ?? WSD_PORT;
  }

  async start(): Promise<void> {
    // AppSequence InstanceId must grow with every restart (WS-Discovery §7).
    this.instanceId = Math.max(this.instanceId + 1, Math.floor(Date.now() / 1000));
    this.messageNumber = 0;
    const rx = createSocket({ type: 'udp4', reuseAddr: true });
    const tx = createSocket({ type: 'udp4' });
    this.rx = rx;
    this.tx = tx;
    rx.on('error', (err) => this.log.warn({ err }, 'discovery: receive socket error'));
    tx.on('error', (err) => this.log.warn({ err }, 'discovery: send socket error'));
    await new Promise<void>((resolve, reject) => {
      rx.once('error', reject);
      rx.bind({ port: this.port, address: '0.0.0.0', exclusive: false }, () => {
        rx.off('error', reject);
        resolve();
      });
    });
    for (const iface of this.interfaces) rx.addMembership(WSD_MULTICAST, iface);
    await new Promise<void>((resolve, reject) => {
      tx.once('error', reject);
      tx.bind({ port: 0, address: this.opts.address }, () => {
        tx.off('error', reject);
        resolve();
      });
    });
    tx.setMulticastTTL(1);
    tx.setMulticastLoopback(true);
    rx.on('message', (msg, from) => this.onMessage(msg, from));
    await this.multicast(helloMessage(this.opts.describe(), this.nextSeq()));
  }

  /** Closes the sockets, after a Bye unless `bye` is false. */
  async stop(bye = true): Promise<void> {
    if (!this.tx || !this.rx) return;
    if (bye) {
      try {
        await this.multicast(byeMessage(this.opts.describe(), this.nextSeq()));
      } catch (err) {
        this.log.warn({ err }, 'discovery: Bye not sent');
      }
    }
    const rx = this.rx;
    const tx = this.tx;
    this.rx = undefined;
    this.tx = undefined;
    await Promise.all([
      new Promise<void>((r) => rx.close(() => r())),
      new Promise<void>((r) => tx.close(() => r())),
    ]);
  }

  private nextSeq() {
    return { instanceId: this.instanceId, messageNumber: ++this.messageNumber };
  }

  private async multicast(xml: string): Promise<void> {
    const { tx, rx } = this;
    if (!tx || !rx) return;
    for (const iface of this.interfaces) {
      // From the camera's own (loopback) address where the kernel allows it; on another interface
      // a loopback source is refused (EINVAL), so the wildcard-bound socket sends there.
      const sock = iface.startsWith('127.') ? tx : rx;
      try {
        sock.setMulticastInterface(iface);
        await new Promise<void>((resolve, reject) =>
          sock.send(xml, this.port, WSD_MULTICAST, (err) => (err ? reject(err) : resolve())),
        );
      } catch (err) {
        this.log.warn({ err, iface }, 'discovery: multicast not sent on this interface');
      }
    }
  }

  private onMessage(msg: Buffer, from: RemoteInfo): void {
    if (this.muted || !this.tx) return;
    let probe: ReturnType<typeof readProbe>;
    try {
      probe = readProbe(parseXml(msg, { maxBytes: 16 * 1024 }));
    } catch (err) {
      this.log.debug({ err, from: from.address }, 'discovery: unreadable datagram ignored');
      return;
    }
    if (!probe) return; // Hello, Bye, ProbeMatches of other devices
    const target = this.opts.describe();
    if (!probeMatches(probe, target)) return;
    // ReplyTo other than anonymous is not honoured: the reply goes to the sender (WS-Discovery §5.3).
    const reply = probeMatchesMessage(
      target,
      probe.messageId,
      this.nextSeq(),
      probe.replyTo && probe.replyTo !== WSA_ANONYMOUS ? probe.replyTo : undefined,
    );
    this.tx.send(reply, from.port, from.address, (err) => {
      if (err) this.log.warn({ err, to: from }, 'discovery: ProbeMatches not sent');
      else this.answered++;
    });
  }
}
