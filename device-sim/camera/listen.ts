import type { AddressInfo, Server } from 'node:net';

/** Starts listening (port 0 = any free port) and resolves with the port bound; a listen error rejects. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
