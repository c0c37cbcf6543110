/**
 * Load data from the API and keep it fresh: refetch when one of the named live events arrives
 * (debounced, so a burst of telemetry costs one request), or on demand.
 */
import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';
import type { ApiError } from './api/errors.js';
import { type EventName, type GatewayEvents, useLive } from './live.js';

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | Error | undefined;
  loading: boolean;
  reload(): void;
  /** Patch the data locally (from an event payload) without a request. */
  mutate(fn: (prev: T | undefined) => T | undefined): void;
}

export function useApi<T>(
  fetcher: () => Promise<T>,
  deps: DependencyList,
  opts: {
    refetchOn?: readonly EventName[];
    /** Only refetch for events this accepts (e.g. about this recorder). */
    filter?: (payload: GatewayEvents[EventName]) => boolean;
    debounceMs?: number;
    enabled?: boolean;
  } = {},
): ApiState<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError | Error>();
  const [loading, setLoading] = useState(true);
  const gen = useRef(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const enabled = opts.enabled ?? true;

  const reload = useCallback(() => {
    const my = ++gen.current;
    setLoading(true);
    fetcherRef.current().then(
      (d) => {
        if (my !== gen.current) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (my !== gen.current) return;
        setError(e instanceof Error ? e : new Error(String(e)));
        setLoading(false);
      },
    );
  }, []);

  useEffect(() => {
    if (enabled) reload();
  }, [enabled, reload, ...deps]);

  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(timer.current), []);
  const debounceMs = opts.debounceMs ?? 400;
  const filterRef = useRef(opts.filter);
  filterRef.current = opts.filter;
  useLive(opts.refetchOn ?? [], (_name, payload) => {
    if (!enabled || timer.current) return;
    if (filterRef.current && !filterRef.current(payload)) return;
    timer.current = setTimeout(() => {
      timer.current = undefined;
      reload();
    }, debounceMs);
  });

  const mutate = useCallback((fn: (prev: T | undefined) => T | undefined) => setData((p) => fn(p)), []);
  return { data, error, loading, reload, mutate };
}
