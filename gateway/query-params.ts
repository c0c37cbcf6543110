/** Query-string parameters that services accept in their filters; parsed by zod at the HTTP edge. */
import { z } from 'zod';

/** `true` / `false` in a query string; absent when not given. */
export const QueryBool = z
  .enum(['true', 'false'])
  .transform((v) => v === 'true')
  .optional();

/** ISO 8601 time or epoch milliseconds, as a query parameter; parsed to ms. */
export const TimeParam = z
  .string()
  .trim()
  .min(1)
  .transform((s, ctx) => {
    const ms = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    if (!Number.isFinite(ms)) {
      ctx.addIssue({ code: 'custom', message: `not a time: ${s}` });
      return z.NEVER;
    }
    return ms;
  });
