/**
 * `npm run bench -- NAME [args]`: runs bench/NAME.ts, which prints one JSON line with its figures.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const names = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3));
const [name, ...args] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- <${names.join('|')}> [options]`);
  process.exit(2);
}
process.argv = [process.argv[0]!, `${here}/${name}.ts`, ...args];
await import(pathToFileURL(`${here}/${name}.ts`).href);
