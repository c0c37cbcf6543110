/** Moved below the gateway and the simulator, which both use it: protocol/dock/link/frame-link.ts. */
export * from '../../protocol/dock/link/frame-link.js';
