import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DockVector, MqttVector } from '../../protocol/vectors/format.js';

const root = join(import.meta.dirname, '../../protocol/vectors');

function load<T>(dir: string): T[] {
  return readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(root, dir, f), 'utf8')) as T);
}

export const dockVectors = (): DockVector[] => load<DockVector>('dock');
export const mqttVectors = (): MqttVector[] => load<MqttVector>('mqtt');

export interface Checks {
  crc32c: { cases: { meaning: string; hex: string; crc: string }[] };
  cobs: { data: string; cobs: string }[];
}
export const checks = (): Checks => JSON.parse(readFileSync(join(root, 'checks.json'), 'utf8')) as Checks;
