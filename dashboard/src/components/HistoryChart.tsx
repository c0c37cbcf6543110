/**
 * Battery % and free storage over time (R21). Loaded lazily so echarts stays out of the main
 * bundle; only the parts used are registered (line chart, grid, tooltip, legend, zoom, canvas).
 */
import { LineChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import ReactEChartsCoreModule from 'echarts-for-react/esm/core.js';
import type { HistoryPoint } from '../api/types.js';
import { useI18n } from '../i18n/index.js';
import { esmDefault } from '../interop.js';
import { fmtTime } from '../time.js';

const ReactEChartsCore = esmDefault(ReactEChartsCoreModule);

echarts.use([LineChart, GridComponent, TooltipComponent, LegendComponent, DataZoomComponent, CanvasRenderer]);

export default function HistoryChart({ points }: { points: HistoryPoint[] }) {
  const { t } = useI18n();
  const battery = t('recorder.batteryPct');
  const storage = t('recorder.storageFreeGb');
  const option = {
    animation: false,
    tooltip: {
      trigger: 'axis',
      valueFormatter: (v: number) => (typeof v === 'number' ? v.toFixed(1) : String(v)),
    },
    legend: { data: [battery, storage] },
    grid: { left: 48, right: 56, top: 40, bottom: 56 },
    xAxis: {
      type: 'time',
      axisLabel: { formatter: (v: number) => fmtTime(v, 'MM-DD HH:mm') },
    },
    yAxis: [
      { type: 'value', name: battery, min: 0, max: 100 },
      { type: 'value', name: storage, min: 0, position: 'right' },
    ],
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }],
    series: [
      {
        name: battery,
        type: 'line',
        showSymbol: points.length < 30,
        data: points.map((p) => [p.t, p.batteryPct]),
      },
      {
        name: storage,
        type: 'line',
        yAxisIndex: 1,
        showSymbol: points.length < 30,
        data: points.map((p) => [p.t, +(p.freeBytes / 1024 ** 3).toFixed(2)]),
      },
    ],
  };
  return (
    <div data-testid="history-chart">
      <ReactEChartsCore echarts={echarts} option={option} notMerge style={{ height: 320 }} />
    </div>
  );
}
