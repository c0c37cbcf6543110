/**
 * Active alerts, kept current from the live stream (raised/cleared patch the list), grouped by rule
 * above the list so a burst of one kind is acknowledged at once.
 */
import { App, Button, Card, Empty, Table, Typography } from 'antd';
import { api } from '../../api/client.js';
import { errorText } from '../../api/errorText.js';
import type { Alert, StoredAlert } from '../../api/types.js';
import { AlertGroups } from '../../components/AlertGroups.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { alertText } from '../../components/alertText.js';
import { SeverityTag } from '../../components/labels.js';
import { useI18n } from '../../i18n/index.js';
import { useLive } from '../../live.js';
import { epochMs, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';

export default function AlertsPage() {
  const { t, te } = useI18n();
  const { message } = App.useApp();
  const q = useApi(() => api.alerts(), []);
  useLive(['alert.raised', 'alert.cleared'], (name, p) => {
    if (name === 'alert.raised') {
      const a: StoredAlert = { ...(p as Alert), active: true };
      q.mutate((prev) => [a, ...(prev ?? []).filter((x) => x.id !== a.id)]);
    } else {
      const c = p as { id: string };
      q.mutate((prev) => (prev ?? []).filter((x) => x.id !== c.id));
    }
  });
  return (
    <>
      <AlertGroups alerts={q.data} onAcked={q.reload} />
      <Card title={t('alerts.active')}>
        <ApiErrorView error={q.error} api="GET /api/alerts" />
        <Table<StoredAlert>
          rowKey="id"
          size="middle"
          loading={q.loading && !q.data}
          dataSource={q.data ?? []}
          locale={{ emptyText: <Empty description={t('alerts.none')} /> }}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          scroll={{ x: 800 }}
          onRow={(a) => ({ 'data-testid': `alert-row-${a.rule}` }) as React.HTMLAttributes<HTMLElement>}
          columns={[
            {
              title: t('alerts.at'),
              dataIndex: 'at',
              width: 180,
              sorter: (a, b) => (epochMs(a.at) ?? 0) - (epochMs(b.at) ?? 0),
              defaultSortOrder: 'descend',
              render: (v: string) => fmtTime(v),
            },
            {
              title: t('alerts.severity'),
              dataIndex: 'severity',
              width: 100,
              filters: (['critical', 'warning', 'info'] as const).map((s) => ({
                text: te('severity', s),
                value: s,
              })),
              onFilter: (v, a) => a.severity === v,
              render: (_, a) => <SeverityTag severity={a.severity} />,
            },
            { title: t('alerts.rule'), dataIndex: 'rule', width: 180, render: (v: string) => te('rule', v) },
            { title: t('alerts.subject'), dataIndex: 'subject', width: 140 },
            { title: t('alerts.message'), key: 'message', render: (_, a) => alertText(a, t, te) },
            {
              title: t('common.actions'),
              key: 'ack',
              width: 140,
              render: (_, a) =>
                a.ack ? (
                  <Typography.Text type="secondary">{t('alerts.acked', { by: a.ack.by })}</Typography.Text>
                ) : (
                  <Button
                    size="small"
                    onClick={() =>
                      api.ackAlert(a.id).then(
                        (r) => q.mutate((prev) => prev?.map((x) => (x.id === r.id ? r : x))),
                        (e: Error) => message.error(t('common.error', { msg: errorText(e, t) })),
                      )
                    }
                  >
                    {t('alerts.ack')}
                  </Button>
                ),
            },
          ]}
        />
      </Card>
    </>
  );
}
