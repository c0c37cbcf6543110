/**
 * antd's locale files and echarts-for-react ship ESM code with CommonJS-style typings; under
 * `moduleResolution: NodeNext` TypeScript types their default import as the namespace, while the
 * bundler hands us the real default. This picks whichever is there.
 */
export function esmDefault<T>(mod: T | { default: T }): T {
  return mod && typeof mod === 'object' && 'default' in mod ? (mod as { default: T }).default : (mod as T);
}
