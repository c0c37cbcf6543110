/** Moved below the gateway and the simulator, which both use it: protocol/dock/link/serialport-binding.ts. */
export * from '../../protocol/dock/link/serialport-binding.js';
