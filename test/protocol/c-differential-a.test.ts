/** Half of the C-versus-TypeScript receiver differential (./c-differential.ts), seed 0x5eed. */
import { differentialTest } from './c-differential.js';

differentialTest(0x5eed);
