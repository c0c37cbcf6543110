/** Moved below the gateway and the simulator, which both use it: protocol/dock/link/binding.ts. */
export * from '../../protocol/dock/link/binding.js';
