/**
 * Active alerts grouped by rule, each group acknowledged at once (the principal's summary and the
 * alert list of the manager, legal affairs and the principal); the gateway audits each ack.
 */
import { Button, Card, Empty, Space, Typography } from 'antd';
import { useMemo } from 'react';
import { api } from '../api/client.js';
import type { Role, StoredAlert } from '../api/types.js';
import { useI18n } from '../i18n/index.js';
import { Link } from '../router.js';
import { useAction } from '../useAction.js';
import { useUser } from '../user.js';

/** gateway/api/routes/alerts.ts ALERT_ACKERS. */
const ACKERS: readonly Role[] = ['equipment-manager', 'hearing-staff', 'legal-affairs', 'principal'];

export function AlertGroups({
  alerts,
  onAcked,
  linkToList = false,
}: {
  alerts: StoredAlert[] | undefined;
  onAcked(): void;
  linkToList?: boolean;
}) {
  const { t, te } = useI18n();
  const user = useUser();
  const { busy, run } = useAction();
  const groups = useMemo(() => {
    const m = new Map<string, StoredAlert[]>();
    for (const a of alerts ?? []) m.set(a.rule, [...(m.get(a.rule) ?? []), a]);
    return [...m.entries()].sort((a, b) => b[1].length - a[1].length);
  }, [alerts]);
  const mayAck = user.roles.some((r) => ACKERS.includes(r));
  return (
    <Card
      size="small"
      title={linkToList ? t('summary.alerts') : t('alerts.groups')}
      extra={linkToList ? <Link to="/alerts">{t('summary.allAlerts')}</Link> : undefined}
      data-testid="alert-groups"
      style={{ marginBottom: 16 }}
    >
      {groups.length === 0 ? (
        <Empty description={t('alerts.none')} image={Empty.PRESENTED_IMAGE_SIMPLE} />
      ) : (
        <Space wrap>
          {groups.map(([rule, list]) => {
            const open = list.filter((a) => !a.ack);
            return (
              <Card size="small" key={rule} data-testid={`alert-group-${rule}`} style={{ minWidth: 200 }}>
                <Space direction="vertical" size={4}>
                  <Typography.Text strong>{te('rule', rule)}</Typography.Text>
                  <Typography.Text>
                    {t('summary.alertCount', { n: list.length, open: open.length })}
                  </Typography.Text>
                  {mayAck && open.length > 0 && (
                    <Button
                      size="small"
                      loading={busy}
                      data-testid={`ack-group-${rule}`}
                      onClick={() =>
                        run(async () => {
                          const r = await api.ackAlerts(open.map((a) => a.id));
                          onAcked();
                          return t('summary.acked', { n: r.acked.length });
                        })
                      }
                    >
                      {t('summary.ackAll')}
                    </Button>
                  )}
                </Space>
              </Card>
            );
          })}
        </Space>
      )}
    </Card>
  );
}
