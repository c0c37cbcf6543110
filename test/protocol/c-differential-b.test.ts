/** Half of the C-versus-TypeScript receiver differential (./c-differential.ts), seed 0xc0dec. */
import { differentialTest } from './c-differential.js';

differentialTest(0xc0dec);
