/**
 * Integrity failures (a blob or the audit log no longer matching what was recorded, R25) stay in
 * view on every page for the principal and legal affairs until the alert is resolved: a critical
 * alert in the list is not enough when nobody opens the list.
 */
import { Alert, Button, Space, Typography } from 'antd';
import { api } from '../api/client.js';
import type { Alert as GatewayAlert, PublicUser, StoredAlert } from '../api/types.js';
import { useI18n } from '../i18n/index.js';
import { useLive } from '../live.js';
import { navigate } from '../router.js';
import { fmtTime } from '../time.js';
import { useApi } from '../useApi.js';

const CONCERNED = ['principal', 'legal-affairs'] as const;
/** Rules the custody, store and export checks raise when bytes or the log differ from the record. */
export const isIntegrityAlert = (a: { rule: string }) => /integrity|hash-mismatch/.test(a.rule);

export function IntegrityBanner({ user }: { user: PublicUser }) {
  const concerned = user.roles.some((r) => (CONCERNED as readonly string[]).includes(r));
  const { t, te } = useI18n();
  const q = useApi(() => api.alerts(), [], { enabled: concerned });
  useLive(['alert.raised', 'alert.cleared'], (name, p) => {
    if (!concerned) return;
    if (name === 'alert.raised') {
      const a: StoredAlert = { ...(p as GatewayAlert), active: true };
      q.mutate((prev) => [a, ...(prev ?? []).filter((x) => x.id !== a.id)]);
    } else {
      const id = (p as { id: string }).id;
      q.mutate((prev) => (prev ?? []).filter((x) => x.id !== id));
    }
  });
  const open = (q.data ?? []).filter(isIntegrityAlert);
  if (!concerned || open.length === 0) return null;
  return (
    <Alert
      type="error"
      showIcon
      style={{ marginBottom: 12 }}
      data-testid="integrity-banner"
      title={<strong>{t('integrity.title', { n: open.length })}</strong>}
      description={
        <Space direction="vertical" size={2}>
          <Typography.Text>{t('integrity.text')}</Typography.Text>
          {open.slice(0, 5).map((a) => (
            <Typography.Text key={a.id} data-testid="integrity-alert" data-rule={a.rule}>
              {fmtTime(a.at)} · {te('rule', a.rule)} · {a.subject}
            </Typography.Text>
          ))}
        </Space>
      }
      action={
        <Button danger size="small" onClick={() => navigate('/alerts')}>
          {t('integrity.open')}
        </Button>
      }
    />
  );
}
