/**
 * Hearing-room staff: each room with its camera pictures; Start (case number, activity) and Stop;
 * while recording a live indicator, elapsed time, segments and bytes; an alert that cannot be missed
 * when the stream is lost (R18/R19); after Stop the session summary with coverage and gaps.
 */
import { PlayCircleFilled, StopFilled, WarningFilled } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Form,
  Image,
  Input,
  Row,
  Select,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../../api/client.js';
import type { Activity, HearingSession, RoomView } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { useLive } from '../../live.js';
import { epochMs, fmtBytes, fmtClock, fmtDuration, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';
import './hearing.css';

const ACTIVITIES: Activity[] = ['hearing', 'inquiry', 'notice-of-rights', 'decision', 'service', 'other'];
const LOST_STATES = new Set(['stalled', 'interrupted', 'lost', 'stream-lost']);

export function isLost(s: HearingSession | null | undefined): boolean {
  return Boolean(s && (LOST_STATES.has(s.state) || s.staleSince));
}

export default function HearingsPage() {
  const { t } = useI18n();
  const rooms = useApi(() => api.rooms(), [], {
    refetchOn: ['hearing.changed', 'camera.changed'],
    debounceMs: 300,
  });
  // Segments patch the running session without a refetch.
  useLive(['hearing.segment'], (_n, p) => {
    rooms.mutate((prev) =>
      prev?.map((r) =>
        r.session?.id === p.sessionId && !r.session.segments.some((s) => s.clipId === p.clipId)
          ? {
              ...r,
              session: {
                ...r.session,
                segments: [...r.session.segments, { clipId: p.clipId, start: '', end: '', bytes: p.bytes }],
                bytes: r.session.bytes + p.bytes,
              },
            }
          : r,
      ),
    );
  });
  const list = rooms.data ?? [];
  return (
    <Space direction="vertical" style={{ width: '100%' }} size={16}>
      {list.length === 0 && (
        <Card title={t('hearing.rooms')}>
          <ApiErrorView error={rooms.error} api="GET /api/rooms" />
          {!rooms.error && <Empty description={rooms.loading ? t('common.loading') : t('hearing.none')} />}
        </Card>
      )}
      <Row gutter={[16, 16]}>
        {list.map((r) => (
          <Col key={r.id} xs={24} xl={12}>
            <RoomCard room={r} onChanged={rooms.reload} />
          </Col>
        ))}
      </Row>
    </Space>
  );
}

function RoomCard({ room, onChanged }: { room: RoomView; onChanged(): void }) {
  const { t, te } = useI18n();
  const { message, modal } = App.useApp();
  const s = room.session && room.session.state !== 'stopped' ? room.session : null;
  const lost = isLost(s);
  const [busy, setBusy] = useState(false);
  const [summaryId, setSummaryId] = useState<string | null>(null);
  const [bust, setBust] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setBust((b) => b + 1), 5000);
    return () => clearInterval(id);
  }, []);

  // The unmissable alert: a blocking dialog the moment the stream is lost, besides the red banner.
  const [warned, setWarned] = useState<string | null>(null);
  useEffect(() => {
    if (lost && s && warned !== s.id) {
      setWarned(s.id);
      modal.error({
        title: t('hearing.streamLost'),
        content: t('hearing.streamLost.desc', {
          room: room.name,
          at: fmtTime(s.staleSince ?? Date.now(), 'HH:mm:ss'),
        }),
        okText: t('common.confirm'),
      });
    }
    if (!lost && warned) setWarned(null);
  }, [lost, s, warned, modal, t, room.name]);

  const start = async (v: { caseNo: string; activity: string }) => {
    setBusy(true);
    try {
      await api.startHearing(room.id, v.caseNo.trim(), v.activity);
      message.success(t('hearing.started'));
      setSummaryId(null);
      onChanged();
    } catch (e) {
      message.error(t('common.error', { msg: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  const stop = () => {
    if (!s) return;
    modal.confirm({
      title: t('hearing.stop.confirm'),
      okText: t('hearing.stop'),
      okButtonProps: { danger: true, id: 'hearing-stop-confirm' },
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await api.stopHearing(s.id);
          message.success(t('hearing.stopped'));
          setSummaryId(s.id);
          onChanged();
        } catch (e) {
          message.error(t('common.error', { msg: (e as Error).message }));
        }
      },
    });
  };

  return (
    <Card
      data-testid={`room-${room.id}`}
      className={lost ? 'room-lost' : undefined}
      title={room.name}
      extra={
        s ? (
          <span className="rec-indicator" data-testid="rec-indicator">
            <span className="rec-dot" /> REC · {t('hearing.recording')}
          </span>
        ) : (
          <Tag>{t('hearing.idle')}</Tag>
        )
      }
    >
      {lost && s && (
        <Alert
          type="error"
          banner
          showIcon
          icon={<WarningFilled />}
          className="stream-lost"
          data-testid="stream-lost"
          title={<strong style={{ fontSize: 18 }}>{t('hearing.streamLost')}</strong>}
          description={t('hearing.streamLost.desc', {
            room: room.name,
            at: fmtTime(s.staleSince ?? Date.now(), 'HH:mm:ss'),
          })}
          style={{ marginBottom: 12 }}
        />
      )}
      <Row gutter={[8, 8]} style={{ marginBottom: 12 }}>
        {room.cameras.map((c) => (
          <Col key={c.id} span={room.cameras.length > 1 ? 12 : 24}>
            <div
              style={{
                position: 'relative',
                background: '#111',
                aspectRatio: '16 / 9',
                borderRadius: 4,
                overflow: 'hidden',
              }}
            >
              {c.online ? (
                <Image
                  src={api.snapshotUrl(c.id, bust)}
                  alt={c.name ?? c.id}
                  width="100%"
                  height="100%"
                  style={{ objectFit: 'cover' }}
                  preview={false}
                  fallback="data:image/gif;base64,R0lGODlhAQABAAAAACw="
                />
              ) : (
                <div style={{ color: '#aaa', display: 'grid', placeItems: 'center', height: '100%' }}>
                  {c.name ?? c.id} · {t('state.offline')}
                </div>
              )}
              <span
                style={{
                  position: 'absolute',
                  left: 6,
                  bottom: 4,
                  color: '#fff',
                  fontSize: 12,
                  textShadow: '0 0 2px #000',
                }}
              >
                {t('hearing.camera')} {c.name ?? c.id}
              </span>
            </div>
          </Col>
        ))}
      </Row>
      {s ? (
        <RunningSession session={s} onStop={stop} />
      ) : (
        <Form layout="inline" onFinish={start} initialValues={{ activity: 'hearing' }} style={{ rowGap: 8 }}>
          <Form.Item
            name="caseNo"
            rules={[
              { required: true, max: 64, message: t('login.required', { field: t('hearing.caseNo') }) },
            ]}
          >
            <Input
              placeholder={t('hearing.caseNo')}
              size="large"
              style={{ width: 220 }}
              data-testid="hearing-case"
            />
          </Form.Item>
          <Form.Item name="activity">
            <Select
              size="large"
              style={{ width: 160 }}
              options={ACTIVITIES.map((a) => ({ value: a, label: te('activity', a) }))}
              data-testid="hearing-activity"
            />
          </Form.Item>
          <Button
            type="primary"
            htmlType="submit"
            size="large"
            icon={<PlayCircleFilled />}
            loading={busy}
            disabled={room.cameras.length === 0}
            data-testid="hearing-start"
          >
            {t('hearing.start')}
          </Button>
        </Form>
      )}
      {!s && (summaryId ?? lastStopped(room)) && (
        <SessionSummary sessionId={(summaryId ?? lastStopped(room))!} />
      )}
    </Card>
  );
}

function lastStopped(room: RoomView): string | null {
  return room.session && room.session.state === 'stopped' ? room.session.id : null;
}

function RunningSession({ session, onStop }: { session: HearingSession; onStop(): void }) {
  const { t, te } = useI18n();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  const started = epochMs(session.startedAt) ?? now;
  return (
    <div>
      <Descriptions size="small" column={{ xs: 1, sm: 3 }} bordered>
        <Descriptions.Item label={t('hearing.elapsed')}>
          <span style={{ fontSize: 20, fontVariantNumeric: 'tabular-nums' }} data-testid="hearing-elapsed">
            {fmtClock(now - started)}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('hearing.segments')}>
          <span style={{ fontSize: 20 }} data-testid="hearing-segments">
            {session.segments.length}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('hearing.bytes')}>
          <span style={{ fontSize: 20 }} data-testid="hearing-bytes">
            {fmtBytes(session.bytes)}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('hearing.caseNo')}>{session.caseNo}</Descriptions.Item>
        <Descriptions.Item label={t('hearing.activity')}>
          {te('activity', String(session.activity))}
        </Descriptions.Item>
        <Descriptions.Item label={t('hearing.startedAt')}>
          {fmtTime(session.startedAt, 'HH:mm:ss')}
        </Descriptions.Item>
      </Descriptions>
      <Button
        danger
        type="primary"
        size="large"
        icon={<StopFilled />}
        onClick={onStop}
        style={{ marginTop: 12, height: 48, minWidth: 160 }}
        data-testid="hearing-stop"
      >
        {t('hearing.stop')}
      </Button>
    </div>
  );
}

function SessionSummary({ sessionId }: { sessionId: string }) {
  const { t } = useI18n();
  const q = useApi(() => api.hearing(sessionId), [sessionId], {
    refetchOn: ['hearing.segment', 'hearing.changed'],
    filter: (p) => 'sessionId' in p && p.sessionId === sessionId,
  });
  const s = q.data;
  return (
    <div style={{ marginTop: 16 }} data-testid="hearing-summary">
      <Typography.Title level={5}>{t('hearing.summary')}</Typography.Title>
      <ApiErrorView error={q.error} api={`GET /api/hearings/${sessionId}`} />
      {s && (
        <>
          <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered>
            <Descriptions.Item label={t('hearing.caseNo')}>{s.caseNo}</Descriptions.Item>
            <Descriptions.Item label={t('hearing.coverage')}>
              <span data-testid="hearing-coverage">
                {s.coverage === null ? '—' : `${(s.coverage * 100).toFixed(2)}%`}
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('hearing.startedAt')}>{fmtTime(s.startedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('hearing.endedAt')}>{fmtTime(s.endedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('hearing.segments')}>
              <span data-testid="summary-segments">{s.segments.length}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('hearing.bytes')}>{fmtBytes(s.bytes)}</Descriptions.Item>
            <Descriptions.Item label={t('hearing.gaps')} span={2}>
              {s.gaps.length === 0
                ? t('hearing.gaps.none')
                : s.gaps.map((g) => (
                    <div key={String(g.from)}>
                      {t('hearing.gap', {
                        from: fmtTime(g.from, 'HH:mm:ss'),
                        to: fmtTime(g.to, 'HH:mm:ss'),
                        v: fmtDuration(g.ms, t),
                      })}
                    </div>
                  ))}
            </Descriptions.Item>
          </Descriptions>
          <Table
            style={{ marginTop: 8 }}
            size="small"
            rowKey="clipId"
            dataSource={s.segments}
            pagination={{ pageSize: 5, hideOnSinglePage: true }}
            columns={[
              { title: '#', key: 'i', width: 48, render: (_v, _r, i) => i + 1 },
              { title: t('clips.start'), dataIndex: 'start', render: (v) => fmtTime(v, 'HH:mm:ss') },
              { title: t('clips.end'), dataIndex: 'end', render: (v) => fmtTime(v, 'HH:mm:ss') },
              { title: t('clips.size'), dataIndex: 'bytes', render: (v: number) => fmtBytes(v) },
            ]}
          />
        </>
      )}
    </div>
  );
}
