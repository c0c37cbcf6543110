/**
 * Hearing-room staff: each room with its camera pictures; Start (case number, activity) and Stop;
 * while recording a live view of every camera of the room (a picture about once a second, each
 * camera's state and coverage, the room's coverage), elapsed time, segments and bytes as stored
 * and being written; an alert that cannot be missed when the stream is lost or the gateway's
 * storage is full (R18/R19); after Stop the session summary with coverage and gaps.
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
  Row,
  Select,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/client.js';
import type { Activity, CameraView, HearingView, RoomView } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import type { MessageKey } from '../../i18n/zh.js';
import { fmtBytes, fmtClock, fmtDuration, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';
import { CasePicker } from '../cases/CasePicker.js';
import './hearing.css';
import { errorText } from '../../api/errorText.js';

const ACTIVITIES: Activity[] = ['hearing', 'inquiry', 'notice-of-rights', 'decision', 'service', 'other'];

/** Since when a camera of the running session has delivered no fresh data (stream lost), or null. */
export function lostSince(s: HearingView | null | undefined): number | null {
  const stalled = (s?.live?.cameras ?? []).filter(
    (c) => c.state === 'stalled' || c.state === 'auth-failed' || c.gap,
  );
  if (stalled.length === 0) return null;
  return Math.min(...stalled.map((c) => c.gap?.start ?? c.lastDataAt ?? Date.now()));
}

/** Recording held because the gateway's storage is full (R19), rather than a lost stream. */
export function storageFull(s: HearingView | null | undefined): boolean {
  return (s?.live?.cameras ?? []).some((c) => c.state === 'storage-full' || c.gap?.cause === 'storage');
}

/** While a room records, its state is read again this often (bytes being written grow). */
const LIVE_REFRESH_MS = 2000;
/** The live view's pictures: one a second while recording (preview lag under 3 s), else one in 5 s. */
const LIVE_PICTURE_MS = 1000;
const IDLE_PICTURE_MS = 5000;

export default function HearingsPage() {
  const { t } = useI18n();
  // The gateway's numbers, never counters patched here: what the page shows after a reload is
  // what it showed before (stored segments plus the one being written).
  const rooms = useApi(() => api.rooms(), [], {
    refetchOn: [
      'hearing.changed',
      'hearing.segment',
      'camera.changed',
      'interruption.opened',
      'interruption.updated',
    ],
    debounceMs: 300,
  });
  const list = rooms.data ?? [];
  const recording = list.some((r) => r.session?.state === 'recording');
  const { reload } = rooms;
  useEffect(() => {
    if (!recording) return;
    const id = setInterval(reload, LIVE_REFRESH_MS);
    return () => clearInterval(id);
  }, [recording, reload]);
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
  const lost = lostSince(s);
  const full = storageFull(s);
  const [busy, setBusy] = useState(false);

  // The unmissable alert: a blocking dialog the moment the stream is lost, besides the red banner.
  const warnedFor = useRef<string | null>(null);
  useEffect(() => {
    if (lost !== null && s && warnedFor.current !== s.id) {
      warnedFor.current = s.id;
      modal.error({
        title: t(full ? 'hearing.storageFull' : 'hearing.streamLost'),
        content: t(full ? 'hearing.storageFull.desc' : 'hearing.streamLost.desc', {
          room: room.name,
          at: fmtTime(lost, 'HH:mm:ss'),
        }),
        okText: t('common.confirm'),
        okButtonProps: { id: 'stream-lost-ack' },
      });
    }
    if (lost === null) warnedFor.current = null;
  }, [lost, full, s, modal, t, room.name]);

  const start = async (v: { caseNo: string; activity: Activity }) => {
    setBusy(true);
    try {
      await api.startHearing(room.id, v.caseNo.trim(), v.activity);
      message.success(t('hearing.started'));
      onChanged();
    } catch (e) {
      message.error(t('common.error', { msg: errorText(e, t) }));
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
          onChanged();
        } catch (e) {
          message.error(t('common.error', { msg: errorText(e, t) }));
        }
      },
    });
  };

  return (
    <Card
      data-testid={`room-${room.id}`}
      className={lost !== null ? 'room-lost' : undefined}
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
      {lost !== null && (
        <Alert
          type="error"
          banner
          showIcon
          icon={<WarningFilled />}
          data-testid="stream-lost"
          data-cause={full ? 'storage' : 'stream'}
          title={
            <strong style={{ fontSize: 18 }}>{t(full ? 'hearing.storageFull' : 'hearing.streamLost')}</strong>
          }
          description={t(full ? 'hearing.storageFull.desc' : 'hearing.streamLost.desc', {
            room: room.name,
            at: fmtTime(lost, 'HH:mm:ss'),
          })}
          style={{ marginBottom: 12 }}
        />
      )}
      <Row gutter={[8, 8]} style={{ marginBottom: 12 }} data-testid={`live-view-${room.id}`}>
        {room.cameras.map((c) => (
          <Col key={c.id} span={room.cameras.length > 1 ? 12 : 24}>
            <Snapshot camera={c} session={s} />
          </Col>
        ))}
      </Row>
      {s ? (
        <RunningSession session={s} onStop={stop} />
      ) : (
        <Form<{ caseNo: string; activity: Activity }>
          layout="inline"
          onFinish={start}
          initialValues={{ activity: 'hearing' }}
          style={{ rowGap: 8 }}
        >
          <Form.Item
            name="caseNo"
            rules={[
              { required: true, max: 64, message: t('login.required', { field: t('hearing.caseNo') }) },
            ]}
          >
            <CasePicker style={{ width: 220 }} testId="hearing-case" />
          </Form.Item>
          <Form.Item name="activity">
            <Select
              size="large"
              style={{ width: 160 }}
              options={ACTIVITIES.map((a) => ({ value: a, label: te('activity', a) }))}
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
      {!s && room.session && <SessionSummary sessionId={room.session.id} />}
    </Card>
  );
}

const CAMERA_STATE_COLOR: Record<string, string> = {
  recording: 'green',
  starting: 'default',
  stalled: 'red',
  'auth-failed': 'red',
  'storage-full': 'red',
};

/**
 * The camera's picture, refreshed about once a second while its room records (every few seconds
 * otherwise), with the camera's recording state and coverage over it while it records.
 */
function Snapshot({ camera, session }: { camera: CameraView; session: HearingView | null }) {
  const { t } = useI18n();
  const [bust, setBust] = useState(() => Date.now());
  const [failed, setFailed] = useState(false);
  const live = session?.live?.cameras.find((c) => c.cameraId === camera.id);
  const coverage = session?.summary?.cameras.find((c) => c.cameraId === camera.id)?.coverage;
  const periodMs = session ? LIVE_PICTURE_MS : IDLE_PICTURE_MS;
  // The next picture is asked for once the last one is in (or failed): a new src every second
  // regardless would abort a picture slower than that, and show none at all on a busy gateway.
  const next = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const settled = () => {
    clearTimeout(next.current);
    next.current = setTimeout(() => setBust(Date.now()), periodMs);
  };
  useEffect(() => () => clearTimeout(next.current), []);
  const reachable = camera.health.reachable;
  useEffect(() => {
    // Not reachable: no picture settles the chain, so look again on the slow beat.
    if (reachable) return;
    const id = setInterval(() => setBust(Date.now()), IDLE_PICTURE_MS);
    return () => clearInterval(id);
  }, [reachable]);
  const name = camera.name || camera.id;
  return (
    <div
      style={{
        position: 'relative',
        background: '#111',
        aspectRatio: '16 / 9',
        borderRadius: 4,
        overflow: 'hidden',
      }}
    >
      {camera.health.reachable && (
        // Kept in the page when a picture fails, so the next ask (a new src) can bring it back.
        <img
          src={api.snapshotUrl(camera.id, bust)}
          alt={name}
          style={{ width: '100%', height: '100%', objectFit: 'cover', display: failed ? 'none' : 'block' }}
          onError={() => {
            setFailed(true);
            settled();
          }}
          onLoad={() => {
            setFailed(false);
            settled();
          }}
          data-testid={`snapshot-${camera.id}`}
        />
      )}
      {(!camera.health.reachable || failed) && (
        <div style={{ color: '#aaa', display: 'grid', placeItems: 'center', height: '100%' }}>
          {name} · {t('state.offline')}
        </div>
      )}
      {camera.state === 'auth-failed' && (
        <Tooltip title={t(camera.passwordLost ? 'camera.passwordLost.desc' : 'camera.authFailed.desc')}>
          <Tag
            color="red"
            icon={<WarningFilled />}
            style={{ position: 'absolute', right: 4, top: 6, fontSize: 14 }}
            data-testid={`camera-auth-failed-${camera.id}`}
          >
            {t('camera.authFailed')}
          </Tag>
        </Tooltip>
      )}
      {live && (
        <span
          style={{
            position: 'absolute',
            right: 4,
            top: 34,
            display: 'flex',
            flexDirection: 'column',
            alignItems: 'flex-end',
            gap: 4,
          }}
        >
          <Tag
            color={CAMERA_STATE_COLOR[live.state] ?? 'default'}
            data-testid={`cam-state-${camera.id}`}
            data-state={live.state}
          >
            {t(`hearing.cam.${live.state}` as MessageKey)}
          </Tag>
          {coverage !== undefined && (
            <Tag data-testid={`cam-coverage-${camera.id}`}>
              {t('hearing.cameraCoverage', { v: `${(coverage * 100).toFixed(1)}%` })}
            </Tag>
          )}
        </span>
      )}
      {camera.preroll && (
        // The lead-in cache (R18: recorded from the start): a failing one says why on hover.
        <Tooltip title={camera.preroll.reason ?? undefined}>
          <Tag
            color={{ warm: 'green', warming: 'default', failing: 'orange' }[camera.preroll.state]}
            style={{ position: 'absolute', left: 4, top: 6, fontSize: 12 }}
            data-testid={`preroll-${camera.id}`}
            data-state={camera.preroll.state}
          >
            {t(`preroll.${camera.preroll.state}`)}
          </Tag>
        </Tooltip>
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
        {t('hearing.camera')} {name}
      </span>
    </div>
  );
}

/**
 * The running figures change every second or two: never wrapped, so the table keeps its height and
 * the Stop button below it stays put (a button that moves under the pointer is a missed click).
 */
const LIVE_FIGURE = { fontSize: 20, fontVariantNumeric: 'tabular-nums', whiteSpace: 'nowrap' } as const;

function RunningSession({ session, onStop }: { session: HearingView; onStop(): void }) {
  const { t, te } = useI18n();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, []);
  return (
    <div>
      <Descriptions size="small" column={{ xs: 1, sm: 3 }} bordered>
        <Descriptions.Item label={t('hearing.elapsed')}>
          <span style={LIVE_FIGURE} data-testid="hearing-elapsed">
            {fmtClock(now - session.startedAt)}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('hearing.segments')}>
          <span style={LIVE_FIGURE} data-testid="hearing-segments">
            {session.live?.segments ?? 0}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('hearing.bytes')}>
          <span style={LIVE_FIGURE} data-testid="hearing-bytes">
            {fmtBytes(session.live?.bytes ?? 0)}
          </span>
        </Descriptions.Item>
        <Descriptions.Item label={t('hearing.caseNo')}>{session.caseNo}</Descriptions.Item>
        <Descriptions.Item label={t('hearing.activity')}>
          {te('activity', session.activity)}
        </Descriptions.Item>
        <Descriptions.Item label={t('hearing.startedAt')}>
          {fmtTime(session.startedAt, 'HH:mm:ss')}
        </Descriptions.Item>
        {session.summary?.room && (
          <Descriptions.Item label={t('hearing.roomCoverage')}>
            <span data-testid="hearing-room-coverage">
              {`${(session.summary.room.coverage * 100).toFixed(1)}%`}
            </span>
          </Descriptions.Item>
        )}
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

/** Coverage = recorded / wall time; gaps per camera (R18); the stored segments. */
function SessionSummary({ sessionId }: { sessionId: string }) {
  const { t } = useI18n();
  const q = useApi(
    async () => {
      const [session, segments] = await Promise.all([api.hearing(sessionId), api.hearingSegments(sessionId)]);
      return { session, segments };
    },
    [sessionId],
    { refetchOn: ['hearing.changed'], filter: (p) => 'sessionId' in p && p.sessionId === sessionId },
  );
  const s = q.data?.session;
  const sum = s?.summary;
  const gaps = sum?.cameras.flatMap((c) => c.gaps.map((g) => ({ ...g, cameraId: c.cameraId }))) ?? [];
  return (
    <div style={{ marginTop: 16 }} data-testid="hearing-summary">
      <Typography.Title level={5}>{t('hearing.summary')}</Typography.Title>
      <ApiErrorView error={q.error} api={`GET /api/hearings/${sessionId}`} />
      {s && (
        <>
          <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered>
            <Descriptions.Item label={t('hearing.caseNo')}>{s.caseNo}</Descriptions.Item>
            <Descriptions.Item label={t('hearing.coverage')}>
              <span data-testid="hearing-coverage">{sum ? `${(sum.coverage * 100).toFixed(2)}%` : '—'}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('hearing.startedAt')}>{fmtTime(s.startedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('hearing.endedAt')}>{fmtTime(s.stoppedAt)}</Descriptions.Item>
            <Descriptions.Item label={t('hearing.segments')}>
              <span data-testid="summary-segments">{sum?.segments ?? q.data?.segments.length ?? 0}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('hearing.bytes')}>{fmtBytes(sum?.bytes)}</Descriptions.Item>
            <Descriptions.Item label={t('hearing.gaps')} span={2}>
              <span data-testid="summary-gaps">
                {gaps.length === 0
                  ? t('hearing.gaps.none')
                  : gaps.map((g) => (
                      <div key={`${g.cameraId}-${g.start}`}>
                        {t('hearing.gap', {
                          from: fmtTime(g.start, 'HH:mm:ss'),
                          to: fmtTime(g.end, 'HH:mm:ss'),
                          v: fmtDuration(g.durationMs, t),
                        })}
                      </div>
                    ))}
              </span>
            </Descriptions.Item>
          </Descriptions>
          <Table
            style={{ marginTop: 8 }}
            size="small"
            rowKey="clipId"
            dataSource={q.data?.segments ?? []}
            pagination={{ pageSize: 5, hideOnSinglePage: true }}
            columns={[
              { title: '#', dataIndex: 'seq', width: 48 },
              { title: t('hearing.camera'), dataIndex: 'cameraId', width: 90 },
              { title: t('clips.start'), dataIndex: 'start', render: (v: number) => fmtTime(v, 'HH:mm:ss') },
              { title: t('clips.end'), dataIndex: 'end', render: (v: number) => fmtTime(v, 'HH:mm:ss') },
              { title: t('clips.size'), dataIndex: 'bytes', render: (v: number) => fmtBytes(v) },
            ]}
          />
        </>
      )}
    </div>
  );
}
