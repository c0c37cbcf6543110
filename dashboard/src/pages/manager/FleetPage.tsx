/** Equipment manager: the whole recorder fleet at a glance (R21). */

import type { TableColumnsType as ColumnsType } from 'antd';
import { Card, Input, Progress, Select, Space, Switch, Table, Tag, Tooltip, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { api } from '../../api/client.js';
import type { DockSlotView, RecorderState, RecorderView } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { ProblemTags } from '../../components/labels.js';
import { useI18n } from '../../i18n/index.js';
import { useConnectionLost } from '../../live.js';
import { Link } from '../../router.js';
import { epochMs, fmtBytes, fmtDuration, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';

const STATES: RecorderState[] = ['recording', 'idle', 'docked', 'fault', 'off'];

/** A row of the fleet: the recorder's MQTT view, and its dock slot when it sits in one. */
export type FleetRow = RecorderView & { dock?: { ready: boolean } };

/**
 * A docked recorder is off MQTT but present: its status, battery and forecasts come from the dock
 * (the dock page's numbers), never "offline" with empty fields.
 */
export function withDocks(views: RecorderView[], docked: DockSlotView[]): FleetRow[] {
  const bySerial = new Map(docked.map((d) => [d.serial, d]));
  return views.map((r) => {
    const d = bySerial.get(r.serial);
    if (!d) return r;
    return {
      ...r,
      state: 'docked',
      batteryPct: d.batteryPct ?? r.batteryPct,
      charging: d.charging,
      batteryLeftMs: d.batteryLeftMs ?? r.batteryLeftMs,
      storageLeftMs: d.storageLeftMs ?? r.storageLeftMs,
      officer: d.officer ?? r.officer,
      conditions: r.conditions.filter((c) => c !== 'recorder-offline'),
      dock: { ready: d.ready },
    };
  });
}

const present = (r: FleetRow) => r.online || r.dock !== undefined;

/** Clock offset beyond this is a fault (config fleet.clockDriftMaxMs default). */
const CLOCK_MAX_MS = 2000;

/** Anything the manager must look at: offline, faults, any health rule holding (clock, firmware, battery, storage). */
export function hasProblem(r: FleetRow): boolean {
  return (
    !present(r) ||
    r.faults.length > 0 ||
    r.conditions.length > 0 ||
    r.firmwareOutdated ||
    (r.clockOffsetMs !== null && Math.abs(r.clockOffsetMs) > CLOCK_MAX_MS) ||
    r.state === 'fault' ||
    (r.batteryPct !== null && r.batteryPct < 25 && !r.charging) ||
    (r.storageFreeBytes !== null && r.storageTotalBytes
      ? r.storageFreeBytes / r.storageTotalBytes < 0.1
      : false)
  );
}

const byNum = (f: (r: FleetRow) => number | null | undefined) => (a: FleetRow, b: FleetRow) =>
  (f(a) ?? Number.NEGATIVE_INFINITY) - (f(b) ?? Number.NEGATIVE_INFINITY);

export default function FleetPage() {
  const { t, te } = useI18n();
  const q = useApi(
    async () => {
      // Supervisors may not read the dock list (403): their fleet view goes without it.
      const [views, docked] = await Promise.all([api.recorders(), api.dock().catch(() => [])]);
      return withDocks(views, docked);
    },
    [],
    {
      refetchOn: ['recorder.health', 'recorder.online', 'pairing.changed', 'dock.changed'],
      debounceMs: 1000,
    },
  );
  // Without the gateway the last states are history: no row claims 可领用 then.
  const lost = useConnectionLost();
  const [text, setText] = useState('');
  const [states, setStates] = useState<string[]>([]);
  const [problems, setProblems] = useState(false);

  const rows = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return (q.data ?? []).filter((r) => {
      if (problems && !hasProblem(r)) return false;
      if (states.length) {
        const s = present(r) ? (r.state ?? 'idle') : 'offline';
        if (!states.includes(s)) return false;
      }
      if (!needle) return true;
      return [r.serial, r.officer?.name, r.officer?.certNo, r.firmware, r.model]
        .filter(Boolean)
        .some((v) => String(v).toLowerCase().includes(needle));
    });
  }, [q.data, text, states, problems]);

  const all = q.data ?? [];
  const columns: ColumnsType<FleetRow> = [
    {
      title: t('fleet.serial'),
      dataIndex: 'serial',
      fixed: 'left',
      width: 110,
      sorter: (a, b) => a.serial.localeCompare(b.serial),
      render: (s: string) => (
        <Link to={`/recorders/${encodeURIComponent(s)}`} testId={`recorder-link-${s}`}>
          {s}
        </Link>
      ),
    },
    {
      title: t('fleet.status'),
      key: 'status',
      width: 190,
      sorter: (a, b) =>
        Number(present(a)) - Number(present(b)) || (a.state ?? '').localeCompare(b.state ?? ''),
      render: (_, r) =>
        r.dock ? (
          <Space size={4} wrap data-testid={`status-${r.serial}`}>
            <Tag color="blue">{te('state', 'docked')}</Tag>
            {lost ? (
              <Tag>{t('conn.unknown')}</Tag>
            ) : (
              r.dock.ready && <Tag color="green">{t('dock.ready')}</Tag>
            )}
          </Space>
        ) : r.online ? (
          <Tag
            color={
              r.state === 'recording'
                ? 'red'
                : r.state === 'fault'
                  ? 'volcano'
                  : r.state === 'docked'
                    ? 'blue'
                    : 'green'
            }
          >
            {te('state', r.state ?? 'idle')}
          </Tag>
        ) : (
          <Tag>{t('state.offline')}</Tag>
        ),
    },
    {
      title: t('fleet.battery'),
      key: 'battery',
      width: 150,
      sorter: byNum((r) => r.batteryPct),
      render: (_, r) =>
        r.batteryPct === null ? (
          '—'
        ) : (
          <Tooltip title={r.charging ? t('fleet.charging') : undefined}>
            <Progress
              percent={Math.round(r.batteryPct)}
              size="small"
              status={r.charging ? 'active' : r.batteryPct < 10 ? 'exception' : 'normal'}
              strokeColor={r.batteryPct < 25 ? '#fa541c' : undefined}
              data-testid={`battery-${r.serial}`}
            />
          </Tooltip>
        ),
    },
    {
      title: t('fleet.batteryLeft'),
      key: 'batteryLeft',
      width: 120,
      sorter: byNum((r) => r.batteryLeftMs),
      render: (_, r) => fmtDuration(r.batteryLeftMs, t),
    },
    {
      title: t('fleet.storage'),
      key: 'storage',
      width: 110,
      sorter: byNum((r) => r.storageFreeBytes),
      render: (_, r) => fmtBytes(r.storageFreeBytes),
    },
    {
      title: t('fleet.storageLeft'),
      key: 'storageLeft',
      width: 120,
      sorter: byNum((r) => r.storageLeftMs),
      render: (_, r) => fmtDuration(r.storageLeftMs, t),
    },
    {
      title: t('fleet.clockOffset'),
      key: 'clock',
      width: 110,
      sorter: byNum((r) => (r.clockOffsetMs === null ? null : Math.abs(r.clockOffsetMs))),
      render: (_, r) =>
        r.clockOffsetMs === null ? (
          '—'
        ) : (
          <Typography.Text type={Math.abs(r.clockOffsetMs) > CLOCK_MAX_MS ? 'danger' : undefined}>
            {t('unit.ms', { n: Math.round(r.clockOffsetMs) })}
          </Typography.Text>
        ),
    },
    {
      title: t('fleet.firmware'),
      dataIndex: 'firmware',
      width: 100,
      sorter: (a, b) => (a.firmware ?? '').localeCompare(b.firmware ?? '', undefined, { numeric: true }),
      render: (v: string | null, r) =>
        v ? <Typography.Text type={r.firmwareOutdated ? 'warning' : undefined}>{v}</Typography.Text> : '—',
    },
    {
      title: t('fleet.lastSeen'),
      key: 'lastSeen',
      width: 140,
      defaultSortOrder: undefined,
      sorter: byNum((r) => epochMs(r.lastSeen)),
      render: (_, r) => fmtTime(r.lastSeen, 'MM-DD HH:mm:ss'),
    },
    {
      title: t('fleet.holder'),
      key: 'holder',
      width: 150,
      sorter: (a, b) => (a.officer?.name ?? '').localeCompare(b.officer?.name ?? ''),
      render: (_, r) =>
        r.officer ? (
          <span data-testid={`holder-${r.serial}`}>
            {r.officer.name}
            <Typography.Text type="secondary"> {r.officer.certNo}</Typography.Text>
          </span>
        ) : (
          '—'
        ),
    },
    {
      title: t('fleet.faults'),
      key: 'faults',
      width: 170,
      sorter: byNum((r) => r.faults.length * 100 + r.conditions.length),
      render: (_, r) => <ProblemTags r={r} />,
    },
  ];

  return (
    <Card
      title={t('fleet.title')}
      extra={
        <Typography.Text type="secondary" data-testid="fleet-count">
          {t('fleet.count', {
            n: all.length,
            online: all.filter(present).length,
            problems: all.filter(hasProblem).length,
          })}
        </Typography.Text>
      }
    >
      <ApiErrorView error={q.error} api="GET /api/recorders" />
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search
          allowClear
          placeholder={t('fleet.filter')}
          style={{ width: 280 }}
          onChange={(e) => setText(e.target.value)}
          data-testid="fleet-filter"
        />
        <Select
          mode="multiple"
          allowClear
          placeholder={t('fleet.filterState')}
          style={{ minWidth: 200 }}
          value={states}
          onChange={setStates}
          options={[...STATES, 'offline'].map((s) => ({ value: s, label: te('state', s) }))}
        />
        <Space>
          <Switch checked={problems} onChange={setProblems} data-testid="fleet-problems" />
          {t('fleet.onlyProblems')}
        </Space>
      </Space>
      <Table<RecorderView>
        rowKey="serial"
        size="middle"
        loading={q.loading && !q.data}
        columns={columns}
        dataSource={rows}
        // The columns' widths: below it the table scrolls sideways (never squeezes a column).
        scroll={{ x: 1460 }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        rowClassName={(r) => (hasProblem(r) ? 'row-problem' : '')}
      />
    </Card>
  );
}
