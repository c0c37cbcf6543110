/**
 * The principal's and legal affairs' landing page: the month's R26 breaches by kind with who
 * answers for each, the R7 statistics with charts, the report as PDF or XLSX, and the active
 * alerts grouped by rule (one click to the alert list, bulk acknowledge per group).
 */
import { Button, Card, Col, DatePicker, Empty, Row, Space, Statistic, Table, Tag, Typography } from 'antd';
import { lazy, Suspense, useState } from 'react';
import { api } from '../../api/client.js';
import type { BreachView } from '../../api/compliance-types.js';
import { AlertGroups } from '../../components/AlertGroups.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { dayjs, fmtTime, toShanghai } from '../../time.js';
import { useApi } from '../../useApi.js';

/** The active alerts, grouped, with the full list one click away. */
function SummaryAlerts() {
  const q = useApi(() => api.alerts(), [], { refetchOn: ['alert.raised', 'alert.cleared'] });
  return <AlertGroups alerts={q.data} onAcked={q.reload} linkToList />;
}

const SummaryCharts = lazy(() => import('./SummaryCharts.js'));
const KINDS = [
  'not-recorded',
  'device-not-maintained',
  'not-stored',
  'original-altered',
  'released-without-approval',
] as const;
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`;

export default function SummaryPage() {
  const { t } = useI18n();
  const [month, setMonth] = useState(() => toShanghai(Date.now())!.format('YYYY-MM'));
  const summary = useApi(() => api.complianceSummary(month), [month]);
  const report = useApi(() => api.complianceReport(month), [month]);
  const s = summary.data?.stats;
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="summary-page">
      <Card>
        <Space wrap style={{ width: '100%', justifyContent: 'space-between' }}>
          <Space wrap>
            <Typography.Title level={4} style={{ margin: 0 }}>
              {t('summary.title')}
            </Typography.Title>
            <DatePicker
              picker="month"
              allowClear={false}
              value={dayjs(`${month}-01`)}
              onChange={(d) => d && setMonth(d.format('YYYY-MM'))}
              data-testid="summary-month"
            />
          </Space>
          <Space>
            <Button
              href={`/api/compliance/report.pdf?month=${month}`}
              target="_blank"
              data-testid="report-pdf"
            >
              {t('summary.pdf')}
            </Button>
            <Button href={`/api/compliance/report.xlsx?month=${month}`} data-testid="report-xlsx">
              {t('summary.xlsx')}
            </Button>
          </Space>
        </Space>
      </Card>
      <ApiErrorView error={summary.error} api="GET /api/compliance/summary" />
      <Row gutter={[16, 16]}>
        {KINDS.map((k) => (
          <Col xs={12} md={8} xl={4} key={k} style={{ flex: '1 1 0' }}>
            <Card size="small" data-testid={`breach-count-${k}`}>
              <Statistic
                title={t(`breach.${k}`)}
                value={summary.data?.counts[k] ?? '—'}
                valueStyle={{ color: (summary.data?.counts[k] ?? 0) > 0 ? '#cf1322' : '#389e0d' }}
              />
            </Card>
          </Col>
        ))}
      </Row>
      {s && (
        <Row gutter={[16, 16]}>
          <Col xs={12} md={6} xl={3}>
            <Card size="small">
              <Statistic title={t('summary.sessions')} value={s.totals.sessions} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={3}>
            <Card size="small">
              <Statistic title={t('summary.hours')} value={s.totals.hoursRecorded} precision={1} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={3}>
            <Card size="small">
              <Statistic title={t('summary.coverage')} value={pct(s.totals.coverage)} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={3}>
            <Card size="small">
              <Statistic title={t('summary.interruptions')} value={s.totals.interruptions} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={3}>
            <Card size="small">
              <Statistic title={t('summary.explained')} value={pct(s.totals.explainedInTime)} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={3}>
            <Card size="small">
              <Statistic title={t('summary.overdue')} value={s.totals.overdueClips} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={3}>
            <Card size="small">
              <Statistic title={t('summary.late')} value={s.totals.lateClips} />
            </Card>
          </Col>
          <Col xs={12} md={6} xl={3}>
            <Card size="small">
              <Statistic title={t('summary.availability')} value={pct(s.devices.availability)} />
            </Card>
          </Col>
        </Row>
      )}
      {s && (
        <Suspense fallback={null}>
          <SummaryCharts stats={s} />
        </Suspense>
      )}
      <SummaryAlerts />
      <Card title={t('summary.breaches')} size="small">
        <Table<BreachView>
          size="small"
          rowKey={(b) => `${b.rule}|${b.subject}|${b.at}`}
          loading={report.loading && !report.data}
          dataSource={report.data?.breaches ?? []}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          locale={{ emptyText: <Empty description={t('summary.noBreaches')} /> }}
          scroll={{ x: 900 }}
          columns={[
            { title: t('summary.at'), dataIndex: 'at', width: 150, render: (v: number) => fmtTime(v) },
            {
              title: t('summary.kind'),
              dataIndex: 'kind',
              width: 170,
              render: (k: (typeof KINDS)[number]) => <Tag color="red">{t(`breach.${k}`)}</Tag>,
            },
            {
              title: t('summary.rule'),
              dataIndex: 'rule',
              width: 200,
              render: (r: string) => t(`breachRule.${r}` as never),
            },
            {
              title: t('summary.responsible'),
              key: 'who',
              width: 200,
              render: (_, b) => b.responsible.map((p) => p.name ?? p.id ?? t('common.unknown')).join('、'),
            },
            {
              title: t('summary.evidence'),
              key: 'ev',
              render: (_, b) =>
                [
                  ...b.evidence.clipIds.slice(0, 3),
                  ...b.evidence.interruptionIds.slice(0, 2),
                  ...b.evidence.auditSeqs.slice(0, 3).map((n) => `#${n}`),
                ].join(' · '),
            },
          ]}
        />
      </Card>
      {s && (
        <Card title={t('summary.byOfficer')} size="small">
          <Table
            size="small"
            rowKey="key"
            dataSource={s.byOfficer}
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            columns={[
              { title: t('summary.officer'), dataIndex: 'name' },
              {
                title: t('summary.sessions'),
                dataIndex: 'sessions',
                sorter: (a, b) => a.sessions - b.sessions,
              },
              { title: t('summary.hours'), dataIndex: 'hoursRecorded' },
              { title: t('summary.coverage'), dataIndex: 'coverage', render: pct },
              { title: t('summary.interruptions'), dataIndex: 'interruptions' },
              { title: t('summary.explained'), dataIndex: 'explainedInTime', render: pct },
              { title: t('summary.late'), dataIndex: 'lateClips' },
            ]}
          />
        </Card>
      )}
    </Space>
  );
}
