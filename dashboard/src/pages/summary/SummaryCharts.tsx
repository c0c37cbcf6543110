/**
 * The summary page's charts (R7): sessions and hours per day, interruptions by cause, upload delay.
 * Loaded lazily so echarts stays out of the main bundle.
 */

import { Card, Col, Row } from 'antd';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import ReactEChartsCoreModule from 'echarts-for-react/esm/core.js';
import type { ComplianceSummary } from '../../api/compliance-types.js';
import { useI18n } from '../../i18n/index.js';
import { esmDefault } from '../../interop.js';

const ReactEChartsCore = esmDefault(ReactEChartsCoreModule);
echarts.use([
  BarChart,
  LineChart,
  PieChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  CanvasRenderer,
]);

export default function SummaryCharts({ stats }: { stats: ComplianceSummary['stats'] }) {
  const { t, te } = useI18n();
  const sessions = t('summary.sessions');
  const hours = t('summary.hours');
  const daily = {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { data: [sessions, hours], top: 0 },
    grid: { left: 40, right: 48, top: 48, bottom: 28 },
    xAxis: { type: 'category', data: stats.byDay.map((d) => d.key.slice(5)) },
    yAxis: [
      { type: 'value', name: sessions },
      { type: 'value', name: hours, position: 'right' },
    ],
    series: [
      {
        name: sessions,
        type: 'bar',
        data: stats.byDay.map((d) => d.sessions),
        itemStyle: { color: '#1f4e9c' },
      },
      {
        name: hours,
        type: 'line',
        yAxisIndex: 1,
        data: stats.byDay.map((d) => d.hoursRecorded),
        itemStyle: { color: '#e8833a' },
      },
    ],
  };
  const causes = {
    animation: false,
    tooltip: { trigger: 'item' },
    legend: { bottom: 0 },
    series: [
      {
        type: 'pie',
        radius: ['35%', '65%'],
        data: stats.interruptionsByCause.map((c) => ({ name: te('cause', c.cause), value: c.count })),
      },
    ],
  };
  const delay = {
    animation: false,
    tooltip: { trigger: 'axis' },
    grid: { left: 40, right: 16, top: 24, bottom: 28 },
    xAxis: { type: 'category', data: stats.uploadDelay.buckets.map((b) => b.label) },
    yAxis: { type: 'value' },
    series: [
      {
        type: 'bar',
        data: stats.uploadDelay.buckets.map((b) => ({
          value: b.count,
          itemStyle: { color: b.label === '>24h' ? '#cf1322' : '#52c41a' },
        })),
      },
    ],
  };
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} xl={12}>
        <Card size="small" title={t('summary.daily')}>
          <ReactEChartsCore echarts={echarts} option={daily} style={{ height: 260 }} notMerge />
        </Card>
      </Col>
      <Col xs={24} md={12} xl={6}>
        <Card size="small" title={t('summary.causes')}>
          <ReactEChartsCore echarts={echarts} option={causes} style={{ height: 260 }} notMerge />
        </Card>
      </Col>
      <Col xs={24} md={12} xl={6}>
        <Card size="small" title={t('summary.delay')}>
          <ReactEChartsCore echarts={echarts} option={delay} style={{ height: 260 }} notMerge />
        </Card>
      </Col>
    </Row>
  );
}
