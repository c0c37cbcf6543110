/** One recorder: health, battery and storage history charts, maintenance log, report lost (R21). */
import { ArrowLeftOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Descriptions,
  Empty,
  Form,
  Input,
  Modal,
  Segmented,
  Select,
  Space,
  Spin,
  Table,
  Tag,
} from 'antd';
import { lazy, Suspense, useState } from 'react';
import { MAINTENANCE_KINDS } from '../../../../gateway/api/responses.js';
import { api } from '../../api/client.js';
import { errorText } from '../../api/errorText.js';
import type { MaintenanceEntry, MaintenanceKindValue } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { OfficerLabel, ProblemTags } from '../../components/labels.js';
import { useI18n } from '../../i18n/index.js';
import { navigate } from '../../router.js';
import { fmtBytes, fmtDuration, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';

const HistoryChart = lazy(() => import('../../components/HistoryChart.js'));

export default function RecorderPage({ serial }: { serial: string }) {
  const { t, te } = useI18n();
  const { message } = App.useApp();
  const [hours, setHours] = useState(24);
  const q = useApi(() => api.recorder(serial, hours), [serial, hours], {
    refetchOn: ['recorder.health', 'recorder.online', 'pairing.changed'],
    filter: (p) => 'serial' in p && p.serial === serial,
    debounceMs: 3000,
  });
  const [form] = Form.useForm<{ kind: MaintenanceKindValue; text: string }>();
  const [saving, setSaving] = useState(false);
  const add = async (v: { kind: MaintenanceKindValue; text: string }) => {
    setSaving(true);
    try {
      await api.addMaintenance(serial, { kind: v.kind, text: v.text.trim() });
      form.resetFields();
      message.success(t('common.saved'));
      q.reload();
    } catch (err) {
      message.error(t('common.error', { msg: errorText(err, t) }));
    } finally {
      setSaving(false);
    }
  };
  const user = useUser();
  const mayReportLost = user.roles.some((role) => role === 'equipment-manager' || role === 'principal');
  const [lostOpen, setLostOpen] = useState(false);
  const [lostReason, setLostReason] = useState('');
  const reportLost = async () => {
    setSaving(true);
    try {
      const l = await api.reportLost(serial, lostReason.trim());
      message.success(t('recorder.lost.done', { n: l.pendingClips.length }));
      setLostOpen(false);
      setLostReason('');
      q.reload();
    } catch (err) {
      message.error(t('common.error', { msg: errorText(err, t) }));
    } finally {
      setSaving(false);
    }
  };
  const r = q.data?.view;
  const history = q.data?.history ?? [];
  return (
    <Space direction="vertical" style={{ width: '100%' }} size={16}>
      <Card
        title={
          <Space>
            <Button
              icon={<ArrowLeftOutlined />}
              type="text"
              onClick={() => navigate('/fleet')}
              aria-label={t('common.back')}
            />
            <span data-testid="recorder-title">{t('recorder.title', { serial })}</span>
          </Space>
        }
        extra={
          mayReportLost &&
          r?.officer && (
            <Button danger onClick={() => setLostOpen(true)} data-testid="recorder-report-lost">
              {t('recorder.lost.report')}
            </Button>
          )
        }
      >
        <Modal
          open={lostOpen}
          title={t('recorder.lost.title', { serial })}
          okText={t('recorder.lost.report')}
          okButtonProps={{ danger: true, disabled: !lostReason.trim(), loading: saving }}
          onOk={reportLost}
          onCancel={() => setLostOpen(false)}
        >
          <p>{t('recorder.lost.hint')}</p>
          <Input.TextArea
            value={lostReason}
            onChange={(e) => setLostReason(e.target.value)}
            placeholder={t('recorder.lost.reason')}
            maxLength={500}
            data-testid="recorder-lost-reason"
          />
        </Modal>
        <ApiErrorView error={q.error} api={`GET /api/recorders/${serial}`} />
        {r && (
          <Descriptions size="small" column={{ xs: 1, sm: 2, lg: 3 }} bordered>
            <Descriptions.Item label={t('fleet.status')}>
              {r.online ? te('state', r.state ?? 'idle') : t('state.offline')}
            </Descriptions.Item>
            <Descriptions.Item label={t('fleet.battery')}>
              {r.batteryPct === null ? '—' : `${Math.round(r.batteryPct)}%`}
              {r.charging && <Tag style={{ marginLeft: 8 }}>{t('fleet.charging')}</Tag>}
            </Descriptions.Item>
            <Descriptions.Item label={t('fleet.batteryLeft')}>
              {fmtDuration(r.batteryLeftMs, t)}
            </Descriptions.Item>
            <Descriptions.Item label={t('fleet.storage')}>
              {fmtBytes(r.storageFreeBytes)} / {fmtBytes(r.storageTotalBytes)}
            </Descriptions.Item>
            <Descriptions.Item label={t('fleet.storageLeft')}>
              {fmtDuration(r.storageLeftMs, t)}
            </Descriptions.Item>
            <Descriptions.Item label={t('fleet.clockOffset')}>
              {r.clockOffsetMs === null ? '—' : t('unit.ms', { n: Math.round(r.clockOffsetMs) })}
            </Descriptions.Item>
            <Descriptions.Item label={t('fleet.firmware')}>{r.firmware ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('fleet.lastSeen')}>{fmtTime(r.lastSeen)}</Descriptions.Item>
            <Descriptions.Item label={t('recorder.model')}>{r.model ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('recorder.unit')}>{r.unit ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('recorder.custodian')}>{r.custodian ?? '—'}</Descriptions.Item>
            <Descriptions.Item label={t('fleet.holder')}>
              <OfficerLabel officer={r.officer} />
            </Descriptions.Item>
            <Descriptions.Item label={t('fleet.faults')} span={3}>
              <ProblemTags r={r} />
            </Descriptions.Item>
          </Descriptions>
        )}
      </Card>
      <Card
        title={t('recorder.history')}
        extra={
          <Segmented
            value={hours}
            onChange={(v) => setHours(Number(v))}
            options={[6, 24, 72].map((h) => ({ value: h, label: t('recorder.hours', { n: h }) }))}
          />
        }
      >
        {history.length > 0 ? (
          <Suspense fallback={<Spin />}>
            <HistoryChart points={history} />
          </Suspense>
        ) : (
          <Empty description={q.loading ? t('common.loading') : t('recorder.noHistory')} />
        )}
      </Card>
      <Card title={t('recorder.maintenance')}>
        <Form
          form={form}
          layout="inline"
          onFinish={add}
          style={{ marginBottom: 12, rowGap: 8 }}
          initialValues={{ kind: 'inspection' }}
        >
          <Form.Item name="kind" label={t('recorder.maintenance.kind')}>
            <Select
              style={{ width: 140 }}
              options={MAINTENANCE_KINDS.map((k) => ({
                value: k,
                label: te('recorder.maintenance.kind', k),
              }))}
            />
          </Form.Item>
          <Form.Item
            name="text"
            rules={[
              {
                required: true,
                max: 2000,
                message: t('login.required', { field: t('recorder.maintenance.note') }),
              },
            ]}
            style={{ flex: 1, minWidth: 220 }}
          >
            <Input placeholder={t('recorder.maintenance.note')} data-testid="maintenance-note" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={saving} data-testid="maintenance-add">
            {t('recorder.maintenance.add')}
          </Button>
        </Form>
        <Table<MaintenanceEntry>
          rowKey="id"
          size="small"
          dataSource={q.data?.maintenance ?? []}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          columns={[
            {
              title: t('recorder.maintenance.at'),
              dataIndex: 'at',
              render: (v: number) => fmtTime(v),
              width: 180,
            },
            {
              title: t('recorder.maintenance.kind'),
              dataIndex: 'kind',
              render: (v: string) => te('recorder.maintenance.kind', v),
              width: 120,
            },
            { title: t('recorder.maintenance.note'), dataIndex: 'text' },
            { title: t('recorder.maintenance.by'), dataIndex: 'by', width: 140 },
          ]}
        />
      </Card>
    </Space>
  );
}
