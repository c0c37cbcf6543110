/**
 * The province's view on `gateway central` (read-only): every office's fleet health, interruptions,
 * upload backlog, this month's breaches, alerts and the witness's verdict on its audit log
 * (PROTOCOL.md §7.3, FORMATS.md §4). Refreshed every few seconds and on central's own alerts.
 */
import { Alert, Badge, Card, Empty, List, Space, Table, Tag, Typography } from 'antd';
import { useEffect } from 'react';
import { type OfficeSummary, provinceApi } from '../../api/province.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';
import { OfficeOriginals } from './OfficeOriginals.js';

const REFRESH_MS = 5000;
const CUSTODY_COLOR: Record<string, string> = {
  first: 'blue',
  consistent: 'green',
  same: 'green',
  unproven: 'orange',
  'wrong-origin': 'orange',
};

function OfficeDetail({ office }: { office: string }) {
  const { t } = useI18n();
  const q = useApi(() => provinceApi.office(office), [office]);
  if (q.error) return <ApiErrorView error={q.error} api="GET /api/central/offices/:office" />;
  const d = q.data;
  if (!d) return null;
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid={`office-detail-${office}`}>
      {d.held && (
        <Typography.Text type="secondary">
          {t('province.held', { n: d.held.treeSize, root: `${d.held.rootHash.slice(0, 16)}…` })}
          {d.custody?.reason ? ` — ${d.custody.reason}` : ''}
        </Typography.Text>
      )}
      <List
        size="small"
        header={t('province.events')}
        dataSource={d.events.slice(0, 20)}
        renderItem={(e) => (
          <List.Item>
            {fmtTime(e.at)} · {e.type} · {e.subject}
          </List.Item>
        )}
      />
      <OfficeOriginals office={office} />
    </Space>
  );
}

export default function ProvincePage() {
  const { t, te } = useI18n();
  const q = useApi(() => provinceApi.overview(), [], { refetchOn: ['alert.raised', 'alert.cleared'] });
  const { reload } = q;
  useEffect(() => {
    const timer = setInterval(reload, REFRESH_MS);
    return () => clearInterval(timer);
  }, [reload]);
  const d = q.data;
  const forks = (d?.offices ?? []).filter((o) =>
    ['fork', 'key-changed', 'bad-signature'].includes(o.custody?.status ?? ''),
  );
  return (
    <Card
      title={t('province.title')}
      extra={
        d && (
          <Space>
            <Badge
              status={d.connected ? 'success' : 'error'}
              text={`${t('province.link')}: ${d.connected ? t('province.linkUp') : t('province.linkDown')}`}
            />
            <Typography.Text type="secondary">
              {t('province.messages', { n: d.messages, d: d.duplicates, r: d.rejected })}
            </Typography.Text>
          </Space>
        )
      }
    >
      <ApiErrorView error={q.error} api="GET /api/central/offices" />
      {forks.length > 0 && (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 12 }}
          data-testid="province-forks"
          title={t('province.forkAlerts', { n: forks.length })}
          description={forks.map((o) => o.office).join('、')}
        />
      )}
      <Table<OfficeSummary>
        rowKey="office"
        size="small"
        loading={q.loading && !d}
        dataSource={d?.offices ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        scroll={{ x: 1200 }}
        locale={{ emptyText: <Empty description={t('province.empty')} /> }}
        expandable={{ expandedRowRender: (o) => <OfficeDetail office={o.office} /> }}
        onRow={(o) => ({ 'data-testid': `office-${o.office}` }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('province.office'), dataIndex: 'office', fixed: 'left' },
          {
            title: t('province.status'),
            render: (_, o) =>
              o.online === null ? (
                <Tag>{t('province.unknown')}</Tag>
              ) : (
                <Tag color={o.online ? 'green' : 'red'}>
                  {o.online ? t('province.online') : t('province.offline')}
                </Tag>
              ),
          },
          { title: t('province.recorders'), render: (_, o) => `${o.recorders.online}/${o.recorders.total}` },
          {
            title: t('province.anomalies'),
            render: (_, o) =>
              o.recorders.anomalies > 0 ? <Tag color="orange">{o.recorders.anomalies}</Tag> : 0,
          },
          {
            title: t('province.interruptions'),
            render: (_, o) => `${o.interruptions.open}/${o.interruptions.unexplained}`,
          },
          { title: t('province.overdue'), render: (_, o) => o.backlog?.overdueClips ?? '—' },
          {
            title: t('province.archive'),
            render: (_, o) =>
              o.backlog
                ? `${o.backlog.archiveDepth} · ${Math.round(o.backlog.archiveOldestAgeS / 60)} min`
                : '—',
          },
          { title: t('province.breaches'), render: (_, o) => o.breaches ?? '—' },
          {
            title: t('province.alerts'),
            render: (_, o) => `${o.alerts.active} (${o.alerts.critical})`,
          },
          {
            title: t('province.custody'),
            render: (_, o) =>
              o.custody ? (
                <Tag color={CUSTODY_COLOR[o.custody.status] ?? 'red'} data-testid={`custody-${o.office}`}>
                  {te('province.custody', o.custody.status)}
                </Tag>
              ) : (
                <Tag>{t('province.custody.none')}</Tag>
              ),
          },
          { title: t('province.lastSeen'), render: (_, o) => fmtTime(o.lastMessageAt) },
          {
            title: t('province.upstream'),
            render: (_, o) => (o.upstream ? `${o.upstream.missing}/${o.upstream.duplicates}` : '—'),
          },
        ]}
      />
    </Card>
  );
}
