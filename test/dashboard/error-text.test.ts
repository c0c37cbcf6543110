/** The dashboard's rendering of gateway error codes: reader's language, Shanghai times, no server English. */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../dashboard/src/api/errors.js';
import { errorText } from '../../dashboard/src/api/errorText.js';
import { type Lang, translate } from '../../dashboard/src/i18n/index.js';

const tr = (lang: Lang) => (k: Parameters<typeof translate>[1], p?: Record<string, string | number>) =>
  translate(lang, k, p);
const paired = new ApiError(
  409,
  'ALREADY_PAIRED',
  'officer O1 already has recorder DK0001 (since 2026-12-07T15:07:22Z); check it in first',
  {
    serial: 'DK0001',
    since: '2026-12-07T15:07:22Z',
  },
);

describe('errorText', () => {
  it('renders a code with its parameters, times in Asia/Shanghai, never the server English', () => {
    const zh = errorText(paired, tr('zh-CN'));
    expect(zh).toBe('该执法人员已领用记录仪 DK0001（自 2026-12-07 23:07:22 起），请先交还');
    expect(zh).not.toMatch(/already|Z\)/);
    expect(errorText(paired, tr('en'))).toBe(
      'This officer already has recorder DK0001 (since 2026-12-07 23:07:22); check it in first',
    );
    const taken = new ApiError(409, 'ALREADY_PAIRED', 'x', {
      serial: 'DK2',
      since: '2026-12-07T00:00:00Z',
      reason: 'taken',
    });
    expect(errorText(taken, tr('zh-CN'))).toBe('记录仪 DK2 已由他人领用（自 2026-12-07 08:00:00 起）');
  });

  it('a failed fetch is "cannot reach the gateway"; an unknown code is named, not its English', () => {
    expect(errorText(new TypeError('Failed to fetch'), tr('zh-CN'))).toContain('无法连接网关');
    expect(errorText(new ApiError(0, 'NETWORK', 'gateway unreachable'), tr('en'))).toContain(
      'Cannot reach the gateway',
    );
    const odd = new ApiError(500, 'SOMETHING_NEW', 'a raw english message');
    expect(errorText(odd, tr('zh-CN'))).toBe('操作失败（错误代码 SOMETHING_NEW）');
    // A template whose parameter is missing does not show "{serial}".
    expect(errorText(new ApiError(404, 'NOT_DOCKED', 'x'), tr('zh-CN'))).toBe(
      '操作失败（错误代码 NOT_DOCKED）',
    );
  });
});
