/**
 * How alerts and audit entries read: alert texts in the reader's language with Shanghai times (never
 * the gateway's English in zh), audit actors by display name or the dock's name (never its device
 * path), details as text (never JSON).
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../dashboard/src/api/types.js';
import { alertText } from '../../dashboard/src/components/alertText.js';
import { hasKey, type Lang, type MessageKey, translate } from '../../dashboard/src/i18n/index.js';
import { actorLabel, detailsText } from '../../dashboard/src/pages/legal/auditText.js';

const tr = (lang: Lang) => (k: MessageKey, p?: Record<string, string | number>) => translate(lang, k, p);
const te = (lang: Lang) => (prefix: string, v: string | null | undefined) => {
  const k = `${prefix}.${v}`;
  return hasKey(k) ? translate(lang, k) : (v ?? '');
};
const text = (a: Partial<Alert>, lang: Lang = 'zh-CN') =>
  alertText(
    {
      id: 'a1',
      severity: 'warning',
      at: '2026-12-07T15:00:00Z',
      subject: 'x',
      message: 'english',
      ...a,
    } as Alert,
    tr(lang),
    te(lang),
  );

describe('alert texts', () => {
  it('say every kind the gateway raises in Chinese in zh, deadlines in Shanghai time', () => {
    const overdue = text({
      rule: 'clip-overdue',
      subject: 'clip:abc',
      message:
        'clip abc on recorder DK1, officer 李娜 (cert Z1), is not on the designated storage 2h after its 24 h deadline (R22)',
      details: {
        serial: 'DK1',
        officer: { name: '李娜', certNo: 'Z1' },
        deadline: Date.parse('2026-12-07T15:07:22Z'),
      },
    });
    expect(overdue).toBe('DK1（李娜）的记录超过 24 小时未存入指定存储，期限 12-07 23:07（第二十二条）');
    const kinds: Partial<Alert>[] = [
      { rule: 'recorder-lost', subject: 'recorder:DK2', details: { serial: 'DK2', reason: '遗失' } },
      { rule: 'recorder-fault', subject: 'DK3', details: { serial: 'DK3', code: 'E12' } },
      { rule: 'recorder-offline', subject: 'DK4' },
      { rule: 'clock-drift', subject: 'DK4' },
      { rule: 'clip-quarantined', subject: 'clip:0123456789abcdef0123', details: { serial: 'DK5' } },
      { rule: 'release-refused', subject: 'clip:c1', details: { serial: 'DK5', clipId: 'c1' } },
      { rule: 'clip-lost-on-recorder', subject: 'clip:c2', details: { serial: 'DK5', clipId: 'c2' } },
      { rule: 'disk-reserve', subject: 'store', details: { freeBytes: 1e9, reserveBytes: 2e9 } },
      { rule: 'archive-backlog', subject: 'archive', details: { depth: 3, oldestAgeMs: 3_600_000 } },
      { rule: 'archive-mismatch', subject: 'clip:c3' },
      { rule: 'something-new', subject: 'thing:1' },
    ];
    for (const k of kinds) {
      const zh = text(k);
      expect(zh, k.rule).not.toContain('english');
      expect(zh, k.rule).toMatch(/[\u4e00-\u9fff]/);
    }
    expect(text(kinds[0]!)).toBe('DK2 已报告丢失：遗失');
    expect(text({ rule: 'something-new', subject: 'thing:1' }, 'en')).toBe('english');
    // A message already in Chinese (custody's witness alert) is shown as it is in zh, not in en.
    const native = { rule: 'custody-witness', subject: 'usb', message: '检查点未能送达见证方 usb' };
    expect(text(native)).toBe('检查点未能送达见证方 usb');
    expect(text(native, 'en')).toBe('Checkpoint not delivered to a witness: usb');
  });
});

describe('audit entries', () => {
  const names = new Map([['li.na', '李娜']]);
  it('name people by display name and docks by their name, never the device path', () => {
    const t = tr('zh-CN');
    expect(actorLabel('li.na', names, t)).toBe('李娜（li.na）');
    expect(actorLabel('dock:/dev/serial/by-id/usb-FTDI_1234-if00/dock3', names, t)).toBe('采集站 dock3');
    expect(actorLabel('gateway', names, t)).toBe('网关（自动）');
    expect(actorLabel('address:10.0.0.5', names, t)).toBe('来自 10.0.0.5');
    expect(actorLabel('someone', names, t)).toBe('someone');
    expect(actorLabel('dock:/tmp/x/dock1', names, tr('en'))).toBe('Dock dock1');
  });

  it('show details as short text, not JSON', () => {
    const d = detailsText({
      serial: 'DK1',
      officer: { id: 'o1', name: '李娜', certNo: 'Z1' },
      clips: ['a', 'b'],
      nested: { deep: { deeper: 1 }, n: 2 },
      note: 'x'.repeat(500),
    });
    expect(d).not.toContain('{"');
    expect(d).toContain('serial: DK1');
    expect(d).toContain('officer: 李娜（Z1）');
    expect(d).toContain('clips: a, b');
    expect(d).toContain('nested: deep {…}, n 2');
    expect(d.length).toBeLessThanOrEqual(401);
  });
});
