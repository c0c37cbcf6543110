/** Moved below the gateway and the simulator, which both use it: protocol/dock/link/memory-binding.ts. */
export * from '../../protocol/dock/link/memory-binding.js';
