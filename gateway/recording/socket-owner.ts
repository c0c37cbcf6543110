/**
 * Which process holds the other end of a loopback TCP connection (Linux): the relay gives a ticket's
 * stream only to the ffmpeg it was opened for, so another local user who reads the one-time URL off
 * ffmpeg's argv (`ps`) cannot take the stream by connecting first. The connection's client socket
 * is found in /proc/net/tcp (local = its address and port, remote = ours) and must be one of the
 * process's open files (/proc/<pid>/fd -> `socket:[inode]`); we may read those of our own children.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';

/** `127.0.0.1:port` as /proc/net/tcp writes it (little-endian IPv4 hex, port hex). */
function procAddr(ip: string, port: number): string {
  const hex = ip
    .split('.')
    .map((b) => Number(b).toString(16).padStart(2, '0'))
    .reverse()
    .join('')
    .toUpperCase();
  return `${hex}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The inode of the socket at `peer` connected to `local`, or null. */
async function socketInode(
  peer: { ip: string; port: number },
  local: { ip: string; port: number },
): Promise<string | null> {
  const table = await readFile('/proc/net/tcp', 'latin1');
  const want = `${procAddr(peer.ip, peer.port)} ${procAddr(local.ip, local.port)}`;
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (`${f[1]} ${f[2]}` === want) return f[9] ?? null;
  }
  return null;
}

/**
 * True when process `pid` holds the client end of the connection from `peer` to `local`. On other
 * systems (no /proc) it cannot tell and answers true; the one-time token is the only guard there.
 */
export async function processOwnsPeer(
  pid: number,
  peer: { ip: string; port: number },
  local: { ip: string; port: number },
): Promise<boolean> {
  if (process.platform !== 'linux') return true;
  const inode = await socketInode(peer, local).catch(() => null);
  if (!inode || inode === '0') return false;
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  // All at once: this sits on ffmpeg's connect, and the fs thread pool may be busy with segments.
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return targets.includes(`socket:[${inode}]`);
}
