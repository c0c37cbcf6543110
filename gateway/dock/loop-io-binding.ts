/** Moved below the gateway and the simulator, which both use it: protocol/dock/link/loop-io-binding.ts. */
export * from '../../protocol/dock/link/loop-io-binding.js';
