/**
 * An office's archived originals as it reported them (PROTOCOL.md §7.2, `clip.archived`), opened
 * from the province's archive by the reported version: central logs who and why first (R24) and
 * checks every byte against the office's SHA-256 as it streams (R25).
 */
import { DownloadOutlined, PlayCircleOutlined } from '@ant-design/icons';
import { Alert, Button, Modal, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { type ArchivedOriginal, provinceApi } from '../../api/province.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { ReasonedAccess } from '../../components/ReasonedAccess.js';
import { useI18n } from '../../i18n/index.js';
import { fmtBytes, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';

export function OfficeOriginals({ office }: { office: string }) {
  const { t, te } = useI18n();
  const [after, setAfter] = useState<string | undefined>(undefined);
  const q = useApi(() => provinceApi.originals(office, after), [office, after]);
  const [open, setOpen] = useState<{ o: ArchivedOriginal; action: 'view' | 'download' } | null>(null);
  if (q.error) return <ApiErrorView error={q.error} api="GET /api/central/offices/:office/originals" />;
  const d = q.data;
  const act = (o: ArchivedOriginal, action: 'view' | 'download') => () => setOpen({ o, action });
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid={`originals-${office}`}>
      <Typography.Text strong>{t('province.originals')}</Typography.Text>
      {d && !d.readable && <Alert type="info" showIcon title={t('province.originals.unreadable')} />}
      <Table<ArchivedOriginal>
        rowKey="clipId"
        size="small"
        loading={q.loading && !d}
        dataSource={d?.originals ?? []}
        pagination={false}
        locale={{ emptyText: t('province.originals.empty') }}
        onRow={(o) => ({ 'data-testid': `original-${o.clipId}` }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('province.clip'), dataIndex: 'clipId' },
          {
            title: t('province.source'),
            render: (_, o) =>
              o.sourceKind ? `${te('clips.source', o.sourceKind)} ${o.sourceId ?? ''}` : '—',
          },
          { title: t('province.start'), render: (_, o) => fmtTime(o.start) },
          { title: t('province.size'), render: (_, o) => fmtBytes(o.bytes) },
          {
            title: 'SHA-256',
            render: (_, o) => <Typography.Text code>{o.sha256.slice(0, 12)}…</Typography.Text>,
          },
          {
            title: t('province.retainUntil'),
            render: (_, o) => (
              <Space size={4}>
                {fmtTime(o.retainUntil, 'YYYY-MM-DD')}
                {o.legalHold && <Tag color="red">{t('province.legalHold')}</Tag>}
              </Space>
            ),
          },
          {
            title: '',
            render: (_, o) =>
              d?.readable && (
                <Space size={4}>
                  <Button
                    size="small"
                    icon={<PlayCircleOutlined />}
                    onClick={act(o, 'view')}
                    data-testid={`original-play-${o.clipId}`}
                  >
                    {t('clips.play')}
                  </Button>
                  <Button size="small" icon={<DownloadOutlined />} onClick={act(o, 'download')}>
                    {t('clips.download')}
                  </Button>
                </Space>
              ),
          },
        ]}
      />
      {d?.next && (
        <Button size="small" onClick={() => setAfter(d.next ?? undefined)}>
          {t('province.originals.more')}
        </Button>
      )}
      {open && (
        <Modal
          open
          width={820}
          title={t('province.player', { office, id: open.o.clipId })}
          onCancel={() => setOpen(null)}
          footer={null}
          destroyOnHidden
        >
          <ReasonedAccess
            name={open.o.clipId}
            action={open.action}
            urlFor={(reason) => provinceApi.originalUrl(office, open.o.clipId, open.action, reason)}
          />
        </Modal>
      )}
    </Space>
  );
}
