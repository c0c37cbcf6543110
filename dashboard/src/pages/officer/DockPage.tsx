/**
 * Officer at the dock (tablet): docked recorders with the readiness forecast for the shift; take
 * one (confirm name and certificate number); at shift end, upload progress and each clip's 24-hour
 * deadline (R22). Big touch targets throughout.
 */
import { CheckCircleFilled, ExclamationCircleFilled, ThunderboltOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Empty,
  Form,
  Input,
  Modal,
  Progress,
  Row,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../../api/client.js';
import { ApiError } from '../../api/errors.js';
import { errorText } from '../../api/errorText.js';
import type { DockSlotView, Officer } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { useConnectionLost, useLive } from '../../live.js';
import { fmtDuration, fmtTime } from '../../time.js';
import { useAction } from '../../useAction.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';

const CERT_KEY = 'gw.officer.certNo';
const BIG = { height: 56, fontSize: 18, minWidth: 140 } as const;

export default function DockPage() {
  const { t } = useI18n();
  const dock = useApi(() => api.dock(), [], {
    refetchOn: ['dock.changed', 'pairing.changed', 'recorder.health', 'clip.stored'],
    debounceMs: 800,
  });
  const [taking, setTaking] = useState<DockSlotView | null>(null);
  const slots = (dock.data ?? []).filter((s) => s.serial);
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <MyRecorder onCheckedIn={dock.reload} />
      <Card title={<span style={{ fontSize: 20 }}>{t('dock.docked')}</span>}>
        <ApiErrorView error={dock.error} api="GET /api/dock" />
        {slots.length === 0 && !dock.error ? (
          <Empty description={dock.loading ? t('common.loading') : t('dock.none')} />
        ) : (
          <Row gutter={[16, 16]}>
            {slots.map((s) => (
              <Col key={s.slot} xs={24} md={12} xl={8}>
                <SlotCard slot={s} onTake={() => setTaking(s)} />
              </Col>
            ))}
          </Row>
        )}
      </Card>
      <UploadsCard />
      {taking && (
        <TakeModal
          slot={taking}
          onClose={(done) => {
            setTaking(null);
            if (done) dock.reload();
          }}
        />
      )}
    </Space>
  );
}

/**
 * The recorder the officer holds now, with the check-in the gateway asks for before another
 * check-out (ALREADY_PAIRED); docking it after the shift checks it in by itself.
 */
function MyRecorder({ onCheckedIn }: { onCheckedIn(): void }) {
  const { t } = useI18n();
  const mine = useApi(() => api.pairings(), [], { refetchOn: ['pairing.changed'] });
  const a = mine.data?.[0];
  if (!a) return null;
  return (
    <Card
      size="small"
      title={<span style={{ fontSize: 18 }}>{t('dock.mine')}</span>}
      data-testid="my-recorder"
    >
      <Space wrap size={16} align="center">
        <span style={{ fontSize: 16 }}>
          {t('dock.mine.since', { serial: a.serial, since: fmtTime(a.pairedAt, 'MM-DD HH:mm') })}
        </span>
        <CheckInButton
          serial={a.serial}
          onDone={() => {
            mine.reload();
            onCheckedIn();
          }}
        />
      </Space>
    </Card>
  );
}

export function CheckInButton({ serial, onDone }: { serial: string; onDone(): void }) {
  const { t } = useI18n();
  const { busy, run } = useAction();
  return (
    <Button
      size="large"
      loading={busy}
      onClick={() =>
        run(async () => {
          await api.checkIn(serial);
          onDone();
          return t('dock.checkIn.ok', { serial });
        })
      }
      data-testid={`check-in-${serial}`}
    >
      {t('dock.checkIn', { serial })}
    </Button>
  );
}

function SlotCard({ slot, onTake }: { slot: DockSlotView; onTake(): void }) {
  const { t } = useI18n();
  // Without the gateway nobody knows whether the recorder is still there and ready.
  const lost = useConnectionLost();
  const shiftH = Math.round(slot.shiftMs / 3_600_000);
  const battOk = slot.batteryLeftMs !== null && slot.batteryLeftMs >= slot.shiftMs;
  const storOk = slot.storageLeftMs !== null && slot.storageLeftMs >= slot.shiftMs;
  return (
    <Card
      size="small"
      data-testid={`dock-slot-${slot.serial}`}
      title={
        <Space>
          <span style={{ fontSize: 18 }}>{slot.serial}</span>
          <Typography.Text type="secondary">
            {t('dock.slot', { slot: slot.slot.split('/').pop() ?? slot.slot })}
          </Typography.Text>
        </Space>
      }
      extra={
        slot.officer ? null : lost ? (
          <Tag style={{ fontSize: 14, padding: '4px 8px' }} data-testid={`slot-unknown-${slot.serial}`}>
            {t('conn.unknown')}
          </Tag>
        ) : slot.ready ? (
          <Tag color="green" icon={<CheckCircleFilled />} style={{ fontSize: 14, padding: '4px 8px' }}>
            {t('dock.ready')}
          </Tag>
        ) : (
          <Tag color="orange" icon={<ExclamationCircleFilled />} style={{ fontSize: 14, padding: '4px 8px' }}>
            {t('dock.notReady')}
          </Tag>
        )
      }
    >
      {slot.reason && (
        <Typography.Paragraph type="danger">
          {t('dock.refused', { reason: slot.reason })}
        </Typography.Paragraph>
      )}
      <Space align="center" size={16} style={{ width: '100%' }}>
        <Progress
          type="circle"
          size={84}
          percent={Math.round(slot.batteryPct ?? 0)}
          status={slot.charging ? 'active' : undefined}
          format={(p) => (
            <span style={{ fontSize: 16 }}>
              {slot.charging && <ThunderboltOutlined />}
              {p}%
            </span>
          )}
        />
        <div style={{ fontSize: 15, lineHeight: 1.8 }}>
          <div style={{ color: '#888' }}>{t('dock.forecast', { h: shiftH })}</div>
          <div style={{ color: battOk ? undefined : '#d4380d' }}>
            {t('dock.forecast.battery', { v: fmtDuration(slot.batteryLeftMs, t) })}
          </div>
          <div style={{ color: storOk ? undefined : '#d4380d' }}>
            {t('dock.forecast.storage', { v: fmtDuration(slot.storageLeftMs, t) })}
          </div>
        </div>
      </Space>
      {slot.readiness && slot.readiness.shortfalls.length > 0 && !slot.officer && (
        <ul
          style={{ color: '#d4380d', margin: '8px 0 0', paddingLeft: 18 }}
          data-testid={`shortfalls-${slot.serial}`}
        >
          {slot.readiness.shortfalls.map((f) => (
            <li key={f}>{f}</li>
          ))}
        </ul>
      )}
      {slot.uploads.total > slot.uploads.done && (
        <div style={{ marginTop: 8 }}>
          <Typography.Text type="secondary">
            {t('dock.uploading')} {slot.uploads.done}/{slot.uploads.total}
          </Typography.Text>
          <Progress
            percent={
              slot.uploads.current && slot.uploads.current.bytes > 0
                ? Math.floor((slot.uploads.current.bytesDone / slot.uploads.current.bytes) * 100)
                : 0
            }
            status="active"
          />
        </div>
      )}
      <div style={{ marginTop: 12 }}>
        {slot.officer ? (
          <Typography.Text strong data-testid={`assigned-${slot.serial}`}>
            {t('dock.assignedTo', { name: slot.officer.name, certNo: slot.officer.certNo })}
          </Typography.Text>
        ) : (
          <Button
            type="primary"
            block
            style={BIG}
            disabled={Boolean(slot.reason) || lost}
            onClick={onTake}
            data-testid={`take-${slot.serial}`}
          >
            {t('dock.take')}
          </Button>
        )}
      </div>
    </Card>
  );
}

function TakeModal({ slot, onClose }: { slot: DockSlotView; onClose(done: boolean): void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const user = useUser();
  const [form] = Form.useForm<Officer & { reason?: string }>();
  const [busy, setBusy] = useState(false);
  const [short, setShort] = useState<string | null>(
    slot.ready ? null : (slot.readiness?.shortfalls.join('；') ?? ''),
  );
  /** The gateway refused: this officer still holds another recorder, to check in first. */
  const [held, setHeld] = useState<{ serial: string; text: string } | null>(null);
  const submit = async (v: Officer & { reason?: string }) => {
    setBusy(true);
    try {
      const officer = { id: user.username, name: v.name.trim(), certNo: v.certNo.trim() };
      await api.pair(slot.serial!, officer, v.reason?.trim() || undefined);
      try {
        localStorage.setItem(CERT_KEY, officer.certNo);
      } catch {}
      message.success(t('dock.take.ok', { serial: slot.serial!, name: officer.name }));
      onClose(true);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'READINESS_SHORT') {
        const r = e.details?.readiness as { shortfalls?: string[] } | undefined;
        setShort(r?.shortfalls?.join('；') || errorText(e, t));
      } else if (
        e instanceof ApiError &&
        e.code === 'ALREADY_PAIRED' &&
        e.details?.reason === undefined &&
        typeof e.details?.serial === 'string'
      ) {
        setHeld({ serial: e.details.serial, text: errorText(e, t) });
      } else {
        message.error(t('common.error', { msg: errorText(e, t) }));
      }
    } finally {
      setBusy(false);
    }
  };
  let cert = '';
  try {
    cert = localStorage.getItem(CERT_KEY) ?? '';
  } catch {}
  return (
    <Modal
      open
      title={<span style={{ fontSize: 20 }}>{t('dock.take.title', { serial: slot.serial! })}</span>}
      onCancel={() => onClose(false)}
      footer={[
        <Button key="c" style={BIG} onClick={() => onClose(false)}>
          {t('common.cancel')}
        </Button>,
        <Button
          key="ok"
          type="primary"
          style={BIG}
          loading={busy}
          onClick={() => form.submit()}
          data-testid="take-confirm"
        >
          {t('common.confirm')}
        </Button>,
      ]}
      width={560}
    >
      {held && (
        <Alert
          type="warning"
          showIcon
          style={{ marginBottom: 16 }}
          title={held.text}
          action={<CheckInButton serial={held.serial} onDone={() => setHeld(null)} />}
          data-testid="already-paired"
        />
      )}
      <Form
        form={form}
        layout="vertical"
        size="large"
        onFinish={submit}
        initialValues={{ id: user.username, name: user.displayName, certNo: cert }}
      >
        {/* The gateway pairs an officer only to themselves: the id is the signed-in user name. */}
        <Form.Item name="id" label={t('dock.officerId')} rules={[{ required: true, max: 32 }]}>
          <Input data-testid="take-officer-id" disabled />
        </Form.Item>
        <Form.Item name="name" label={t('dock.officerName')} rules={[{ required: true, max: 64 }]}>
          <Input data-testid="take-name" />
        </Form.Item>
        <Form.Item name="certNo" label={t('dock.certNo')} rules={[{ required: true, max: 32 }]}>
          <Input data-testid="take-cert" />
        </Form.Item>
        {short !== null && (
          <>
            {short && (
              <Typography.Paragraph type="warning">
                {t('dock.take.short', { detail: short })}
              </Typography.Paragraph>
            )}
            <Form.Item name="reason" label={t('dock.reason')} rules={[{ required: true, max: 500 }]}>
              <Input.TextArea rows={2} data-testid="take-reason" />
            </Form.Item>
          </>
        )}
      </Form>
    </Modal>
  );
}

/** Shift end: each clip still to reach the gateway, its progress, and the time left before its 24 h deadline. */
function UploadsCard() {
  const { t, te } = useI18n();
  const user = useUser();
  const q = useApi(() => api.clips({ officerId: user.username }), [user.username], {
    refetchOn: ['clip.stored', 'dock.changed'],
    debounceMs: 800,
  });
  useLive(['ingest.progress'], (_n, p) => {
    q.mutate((prev) =>
      prev?.map((c) =>
        c.clipId === p.clipId
          ? { ...c, uploadedBytes: p.bytesDone, state: c.state === 'on-recorder' ? 'uploading' : c.state }
          : c,
      ),
    );
  });
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(id);
  }, []);
  const pending = (q.data ?? []).filter((c) => c.state !== 'verified' || now - c.end < 3_600_000);
  return (
    <Card title={<span style={{ fontSize: 20 }}>{t('dock.uploads')}</span>}>
      <ApiErrorView error={q.error} api="GET /api/clips?officerId=" />
      {pending.length === 0 ? (
        <Empty description={t('dock.uploads.none')} />
      ) : (
        <Space direction="vertical" style={{ width: '100%' }} size={12}>
          {pending
            .sort((a, b) => a.deadline - b.deadline)
            .map((c) => {
              const left = c.deadline - now;
              const pct = Math.floor(c.progress * 100);
              return (
                <div key={c.clipId} data-testid={`upload-${c.clipId}`} style={{ fontSize: 15 }}>
                  <Space wrap style={{ justifyContent: 'space-between', width: '100%' }}>
                    <span>
                      <strong>{c.source.id}</strong> · {fmtTime(c.start, 'MM-DD HH:mm')}–
                      {fmtTime(c.end, 'HH:mm')}
                    </span>
                    <span>
                      <Tag color={c.state === 'verified' ? 'green' : left < 0 ? 'red' : 'blue'}>
                        {te('clipState', left < 0 && c.state !== 'verified' ? 'overdue' : c.state)}
                      </Tag>
                      <Typography.Text type="secondary" data-testid={`deadline-${c.clipId}`}>
                        {t('dock.uploads.deadline')} {fmtTime(c.deadline, 'MM-DD HH:mm')}{' '}
                      </Typography.Text>
                      {c.state !== 'verified' && (
                        <Typography.Text
                          type={left < 0 ? 'danger' : left < 4 * 3_600_000 ? 'warning' : 'secondary'}
                        >
                          {left < 0
                            ? t('dock.uploads.overdue', { v: fmtDuration(-left, t) })
                            : t('dock.uploads.left', { v: fmtDuration(left, t) })}
                        </Typography.Text>
                      )}
                    </span>
                  </Space>
                  <Progress
                    percent={c.state === 'verified' ? 100 : pct}
                    status={
                      c.state === 'verified'
                        ? 'success'
                        : c.state === 'uploading'
                          ? 'active'
                          : left < 0
                            ? 'exception'
                            : 'normal'
                    }
                    strokeWidth={14}
                  />
                </div>
              );
            })}
        </Space>
      )}
    </Card>
  );
}
