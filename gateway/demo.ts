/** `gateway demo`: the gateway plus a simulated fleet on embedded defaults (README's first command). */
import { GatewayApp } from './app.js';
import type { GatewayConfig } from './config.js';

export async function runDemo(config: GatewayConfig): Promise<void> {
  const app = new GatewayApp({ config });
  await app.start();
  console.log(`Dashboard: http://localhost:${app.httpPort}/`);
  const stop = async () => {
    await app.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
