/**
 * Hearing-room cameras for the equipment manager (R21: dedicated staff keep the devices): the
 * registered cameras with their state and its cause, WS-Discovery then add, room, the password
 * given again, health, clock and delete. A password typed here goes in a request body only; the
 * gateway never returns it, so nothing on this page can show it.
 */
import { PlusOutlined, SearchOutlined } from '@ant-design/icons';
import { Button, Card, Form, Input, Modal, Popconfirm, Select, Space, Table, Tag, Tooltip } from 'antd';
import { useState } from 'react';
import { camerasApi, type DiscoveredCameraView, type RoomItem } from '../../api/cameras.js';
import type { CameraView } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { FormModal } from '../../components/FormModal.js';
import { type Translate, useI18n } from '../../i18n/index.js';
import { fmtTime } from '../../time.js';
import { useAction } from '../../useAction.js';
import { useApi } from '../../useApi.js';

type StateKey = 'online' | 'offline' | 'auth-failed' | 'password-lost';

/** What the table says: a camera rebuilt without its password is told apart from one refusing it. */
export function cameraStateKey(c: CameraView): StateKey {
  if (c.passwordLost) return 'password-lost';
  return c.state;
}

const STATE_COLOR: Record<StateKey, string> = {
  online: 'green',
  offline: 'default',
  'auth-failed': 'red',
  'password-lost': 'orange',
};

function causeText(c: CameraView, t: Translate): string | null {
  const k = cameraStateKey(c);
  if (k === 'password-lost') return t('cameras.cause.passwordLost');
  if (k === 'auth-failed') {
    return c.streamAuthRefusedAt !== null ? t('cameras.cause.rtspRefused') : t('cameras.cause.onvifRefused');
  }
  if (k === 'offline')
    return c.health.checkedAt === null ? t('cameras.cause.unchecked') : t('cameras.cause.unreachable');
  return null;
}

function fmtOffset(ms: number | null, t: Translate): string {
  if (ms === null) return '—';
  const s = ms / 1000;
  return t('cameras.offset.s', { v: (s > 0 ? '+' : '') + s.toFixed(Math.abs(s) < 10 ? 1 : 0) });
}

export default function CamerasPage() {
  const { t } = useI18n();
  const q = useApi(() => camerasApi.list(), []);
  const rooms = useApi(() => camerasApi.rooms(), []);
  const [discovering, setDiscovering] = useState(false);
  const [adding, setAdding] = useState<Partial<DiscoveredCameraView> | null>(null);
  const [passwordFor, setPasswordFor] = useState<CameraView | null>(null);
  const [thumbs, setThumbs] = useState<Record<string, number>>({});
  const { busy, run } = useAction();
  const act = (fn: () => Promise<unknown>, done: string) =>
    run(async () => {
      try {
        await fn();
        return done;
      } finally {
        q.reload();
      }
    });
  const roomName = (id: string | null) => rooms.data?.find((r) => r.id === id)?.name ?? id ?? '—';
  return (
    <Card
      title={t('cameras.title')}
      extra={
        <Space>
          <Button
            icon={<SearchOutlined />}
            onClick={() => setDiscovering(true)}
            data-testid="camera-discover"
          >
            {t('cameras.discover')}
          </Button>
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setAdding({})}
            data-testid="camera-add"
          >
            {t('cameras.add')}
          </Button>
        </Space>
      }
    >
      <ApiErrorView error={q.error} api="GET /api/cameras" />
      <Table<CameraView>
        rowKey="id"
        size="middle"
        loading={q.loading && !q.data}
        dataSource={q.data ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        scroll={{ x: 1080 }}
        tableLayout="fixed"
        onRow={(r) => ({ 'data-testid': `camera-row-${r.id}` }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('cameras.name'), dataIndex: 'name', width: 140, ellipsis: true, fixed: 'left' },
          {
            title: t('cameras.room'),
            dataIndex: 'roomId',
            width: 140,
            render: (v: string | null, c) => (
              <Select<string>
                size="small"
                style={{ width: '100%' }}
                value={v ?? ''}
                data-testid={`camera-room-${c.id}`}
                options={[
                  { value: '', label: t('cameras.room.none') },
                  ...(rooms.data ?? []).map((r: RoomItem) => ({ value: r.id, label: r.name })),
                ]}
                onChange={(room) =>
                  act(
                    () => camerasApi.assignRoom(c.id, room || null),
                    t('cameras.room.saved', { room: roomName(room || null) }),
                  )
                }
              />
            ),
          },
          {
            title: t('cameras.address'),
            key: 'address',
            width: 150,
            ellipsis: true,
            render: (_, c) => hostOf(c.xaddr),
          },
          {
            title: t('cameras.state'),
            key: 'state',
            width: 150,
            render: (_, c) => {
              const k = cameraStateKey(c);
              const cause = causeText(c, t);
              return (
                <Tooltip title={cause}>
                  <Tag color={STATE_COLOR[k]} data-testid={`camera-state-${c.id}`} data-state={k}>
                    {t(`cameras.state.${k}`)}
                  </Tag>
                  {cause && k !== 'password-lost' && (
                    <div
                      style={{ fontSize: 12, color: '#888', whiteSpace: 'normal' }}
                      data-testid={`camera-cause-${c.id}`}
                    >
                      {cause}
                    </div>
                  )}
                </Tooltip>
              );
            },
          },
          {
            title: t('cameras.clockOffset'),
            key: 'offset',
            width: 90,
            render: (_, c) => (
              <span data-testid={`camera-offset-${c.id}`}>{fmtOffset(c.health.clockOffsetMs, t)}</span>
            ),
          },
          {
            title: t('cameras.lastChecked'),
            key: 'checked',
            width: 110,
            render: (_, c) => fmtTime(c.health.checkedAt, 'YYYY-MM-DD HH:mm:ss'),
          },
          {
            title: t('cameras.snapshot'),
            key: 'snapshot',
            width: 120,
            render: (_, c) =>
              thumbs[c.id] ? (
                <img
                  src={camerasApi.snapshotUrl(c.id, thumbs[c.id]!)}
                  alt={c.name}
                  width={112}
                  style={{ display: 'block', aspectRatio: '16 / 9', objectFit: 'cover', background: '#eee' }}
                  data-testid={`camera-thumb-${c.id}`}
                />
              ) : (
                <Button
                  size="small"
                  disabled={cameraStateKey(c) !== 'online'}
                  onClick={() => setThumbs((m) => ({ ...m, [c.id]: Date.now() }))}
                  data-testid={`camera-snap-${c.id}`}
                >
                  {t('cameras.snapshot.show')}
                </Button>
              ),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 180,
            render: (_, c) => (
              <Space size={4} wrap>
                <Button
                  size="small"
                  loading={busy}
                  onClick={() => act(() => camerasApi.health(c.id), t('cameras.health.done'))}
                  data-testid={`camera-health-${c.id}`}
                >
                  {t('cameras.health')}
                </Button>
                <Button
                  size="small"
                  loading={busy}
                  disabled={cameraStateKey(c) !== 'online'}
                  onClick={() => act(() => camerasApi.syncClock(c.id), t('cameras.syncClock.done'))}
                  data-testid={`camera-sync-${c.id}`}
                >
                  {t('cameras.syncClock')}
                </Button>
                <Button
                  size="small"
                  type={cameraStateKey(c) === 'online' ? 'default' : 'primary'}
                  onClick={() => setPasswordFor(c)}
                  data-testid={`camera-password-${c.id}`}
                >
                  {t('cameras.password')}
                </Button>
                <Popconfirm
                  title={t('cameras.delete.confirm', { name: c.name })}
                  okText={t('cameras.delete')}
                  cancelText={t('common.cancel')}
                  okButtonProps={{ danger: true, 'data-testid': 'camera-delete-ok' }}
                  onConfirm={() => act(() => camerasApi.remove(c.id), t('cameras.delete.done'))}
                >
                  <Button size="small" danger data-testid={`camera-delete-${c.id}`}>
                    {t('cameras.delete')}
                  </Button>
                </Popconfirm>
              </Space>
            ),
          },
        ]}
      />
      {discovering && (
        <DiscoverModal
          onClose={() => setDiscovering(false)}
          onPick={(d) => {
            setDiscovering(false);
            setAdding(d);
          }}
        />
      )}
      {adding && (
        <AddModal
          found={adding}
          rooms={rooms.data ?? []}
          onClose={() => setAdding(null)}
          onDone={() => {
            setAdding(null);
            q.reload();
          }}
        />
      )}
      {passwordFor && (
        <PasswordModal
          camera={passwordFor}
          onClose={() => setPasswordFor(null)}
          onDone={() => {
            setPasswordFor(null);
            q.reload();
          }}
        />
      )}
    </Card>
  );
}

function hostOf(xaddr: string): string {
  try {
    return new URL(xaddr).host;
  } catch {
    return xaddr;
  }
}

function DiscoverModal({ onClose, onPick }: { onClose(): void; onPick(d: DiscoveredCameraView): void }) {
  const { t } = useI18n();
  const q = useApi(() => camerasApi.discover(), []);
  return (
    <Modal open width={760} title={t('cameras.discover.title')} onCancel={onClose} footer={null}>
      <ApiErrorView error={q.error} api="POST /api/cameras/discover" />
      <Table<DiscoveredCameraView>
        rowKey="urn"
        size="small"
        loading={q.loading}
        dataSource={q.data ?? []}
        pagination={false}
        tableLayout="fixed"
        locale={{ emptyText: t('cameras.discover.none') }}
        onRow={(r) => ({ 'data-testid': `discovered-${r.address}` }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('cameras.name'), dataIndex: 'name', width: 170, ellipsis: true },
          { title: t('cameras.address'), key: 'address', width: 170, render: (_, d) => hostOf(d.xaddr) },
          { title: t('cameras.hardware'), dataIndex: 'hardware', width: 150, ellipsis: true },
          {
            title: t('common.actions'),
            key: 'pick',
            width: 120,
            render: (_, d) =>
              d.cameraId ? (
                <Tag>{t('cameras.discover.registered', { id: d.cameraId })}</Tag>
              ) : (
                <Button
                  size="small"
                  type="primary"
                  onClick={() => onPick(d)}
                  data-testid={`discovered-add-${d.address}`}
                >
                  {t('cameras.add')}
                </Button>
              ),
          },
        ]}
      />
    </Modal>
  );
}

interface AddValues {
  name?: string;
  xaddr: string;
  user: string;
  password: string;
  roomId?: string;
}

function AddModal({
  found,
  rooms,
  onClose,
  onDone,
}: {
  found: Partial<DiscoveredCameraView>;
  rooms: RoomItem[];
  onClose(): void;
  onDone(): void;
}) {
  const { t } = useI18n();
  return (
    <FormModal<AddValues>
      title={t('cameras.add')}
      onClose={onClose}
      okTestId="camera-add-ok"
      initialValues={{ name: found.name, xaddr: found.xaddr, user: 'admin' }}
      onSubmit={async (v) => {
        const c = await camerasApi.add({
          xaddr: v.xaddr.trim(),
          user: v.user.trim(),
          password: v.password,
          name: v.name?.trim() || undefined,
          urn: found.urn,
          roomId: v.roomId || null,
        });
        onDone();
        return t('cameras.added', { name: c.name });
      }}
    >
      <Form.Item name="name" label={t('cameras.name')} rules={[{ max: 128 }]}>
        <Input data-testid="camera-add-name" />
      </Form.Item>
      <Form.Item
        name="xaddr"
        label={t('cameras.xaddr')}
        rules={[{ required: true, type: 'url', message: t('cameras.xaddr.rule') }]}
      >
        <Input data-testid="camera-add-xaddr" placeholder="http://192.168.1.64/onvif/device_service" />
      </Form.Item>
      <Form.Item name="user" label={t('cameras.user')} rules={[{ required: true, max: 64 }]}>
        <Input data-testid="camera-add-user" autoComplete="off" />
      </Form.Item>
      <Form.Item name="password" label={t('cameras.passwordField')} rules={[{ required: true, max: 128 }]}>
        <Input.Password
          data-testid="camera-add-password"
          autoComplete="new-password"
          visibilityToggle={false}
        />
      </Form.Item>
      <Form.Item name="roomId" label={t('cameras.room')}>
        <Select
          allowClear
          data-testid="camera-add-room"
          options={rooms.map((r) => ({ value: r.id, label: r.name }))}
        />
      </Form.Item>
    </FormModal>
  );
}

function PasswordModal({ camera, onClose, onDone }: { camera: CameraView; onClose(): void; onDone(): void }) {
  const { t } = useI18n();
  return (
    <FormModal<{ password: string }>
      title={t('cameras.password.title', { name: camera.name })}
      onClose={onClose}
      okTestId="camera-password-ok"
      onSubmit={async (v) => {
        await camerasApi.setPassword(camera.id, v.password);
        onDone();
        return t('cameras.password.done');
      }}
    >
      <Form.Item name="password" label={t('cameras.passwordField')} rules={[{ required: true, max: 128 }]}>
        <Input.Password
          data-testid="camera-password-input"
          autoComplete="new-password"
          visibilityToggle={false}
        />
      </Form.Item>
    </FormModal>
  );
}
