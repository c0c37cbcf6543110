/** The dock link: recorder <-> gateway over a serial port (PROTOCOL.md §3). */
export * from './cobs.js';
export * from './codec.js';
export * from './constants.js';
export * from './crc32c.js';
export * from './errors.js';
export * from './frame.js';
export * from './messages.js';
export * from './parser.js';
