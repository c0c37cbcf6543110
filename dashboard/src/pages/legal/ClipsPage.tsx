/**
 * Clip search (recorder, officer, date, case) with playback in the browser. Every view and download
 * states a reason and is logged by the gateway (R24).
 */
import { DownloadOutlined, ExportOutlined, PlayCircleOutlined } from '@ant-design/icons';
import { Button, Card, DatePicker, Form, Input, Modal, Space, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { api } from '../../api/client.js';
import type { ClipArchiveView, ClipQuery, ClipView } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { OfficerLabel } from '../../components/labels.js';
import { ReasonedAccess } from '../../components/ReasonedAccess.js';
import { useI18n } from '../../i18n/index.js';
import { navigate } from '../../router.js';
import { fmtBytes, fmtDuration, fmtTime, shanghaiDayRange } from '../../time.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';
import { ExportRequestModal } from '../exports/ExportRequestModal.js';

interface SearchForm {
  serial?: string;
  officerId?: string;
  caseNo?: string;
  date?: Dayjs;
}

export default function ClipsPage() {
  const { t, te } = useI18n();
  const [query, setQuery] = useState<ClipQuery>({});
  const q = useApi(() => api.clips(query), [JSON.stringify(query)], {
    refetchOn: ['clip.stored'],
    debounceMs: 1500,
  });
  const [playing, setPlaying] = useState<{ clip: ClipView; action: 'view' | 'download' } | null>(null);
  // R23: legal affairs select verified clips and ask for an evidence disc (the principal decides).
  const canExport = useUser().roles.includes('legal-affairs');
  const [selected, setSelected] = useState<ClipView[]>([]);
  const [exporting, setExporting] = useState(false);
  const search = (v: SearchForm) => {
    const range = v.date ? shanghaiDayRange(v.date) : undefined;
    setQuery({
      serial: v.serial?.trim() || undefined,
      officerId: v.officerId?.trim() || undefined,
      caseNo: v.caseNo?.trim() || undefined,
      from: range?.from,
      to: range?.to,
    });
  };
  return (
    <Card
      title={t('clips.title')}
      extra={
        <Space>
          <Typography.Text type="secondary">{t('clips.accessLogged')}</Typography.Text>
          {canExport && (
            <Button
              icon={<ExportOutlined />}
              disabled={selected.length === 0}
              title={selected.length === 0 ? t('exports.select') : undefined}
              onClick={() => setExporting(true)}
              data-testid="export-request"
            >
              {t('exports.request.count', { n: selected.length })}
            </Button>
          )}
        </Space>
      }
    >
      <Form<SearchForm> layout="inline" onFinish={search} style={{ marginBottom: 12, rowGap: 8 }}>
        <Form.Item name="serial">
          <Input
            placeholder={t('clips.recorder')}
            allowClear
            style={{ width: 150 }}
            data-testid="clips-serial"
          />
        </Form.Item>
        <Form.Item name="officerId">
          <Input placeholder={t('clips.officer')} allowClear style={{ width: 150 }} />
        </Form.Item>
        <Form.Item name="date">
          <DatePicker placeholder={t('clips.date')} />
        </Form.Item>
        <Form.Item name="caseNo">
          <Input placeholder={t('clips.caseNo')} allowClear style={{ width: 160 }} data-testid="clips-case" />
        </Form.Item>
        <Button type="primary" htmlType="submit" data-testid="clips-search">
          {t('common.search')}
        </Button>
      </Form>
      <ApiErrorView error={q.error} api="GET /api/clips" />
      <Table<ClipView>
        rowKey="clipId"
        size="middle"
        loading={q.loading && !q.data}
        dataSource={q.data ?? []}
        locale={{ emptyText: t('clips.none') }}
        scroll={{ x: 1000 }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        rowSelection={
          canExport
            ? {
                selectedRowKeys: selected.map((c) => c.clipId),
                onChange: (_keys, rows) => setSelected(rows),
                getCheckboxProps: (c) => ({
                  disabled: c.state !== 'verified',
                  'data-testid': `select-${c.clipId}`,
                }),
              }
            : undefined
        }
        columns={[
          {
            title: t('clips.start'),
            dataIndex: 'start',
            width: 170,
            render: (v: number) => fmtTime(v),
            sorter: (a, b) => a.start - b.start,
            defaultSortOrder: 'descend',
          },
          { title: t('clips.duration'), key: 'dur', render: (_, c) => fmtDuration(c.end - c.start, t) },
          {
            title: t('clips.source'),
            key: 'src',
            render: (_, c) => (
              <span>
                {te('clips.source', c.source.kind)} {c.source.id}
              </span>
            ),
          },
          {
            title: t('clips.officer'),
            key: 'officer',
            render: (_, c) => <OfficerLabel officer={c.officer} />,
          },
          { title: t('clips.caseNo'), dataIndex: 'caseNo', render: (v?: string) => v ?? '—' },
          { title: t('clips.size'), dataIndex: 'bytes', render: (v: number) => fmtBytes(v) },
          {
            title: t('clips.state'),
            dataIndex: 'state',
            render: (v: string) => (
              <Tag color={v === 'verified' ? 'green' : v === 'overdue' ? 'red' : 'blue'}>
                {te('clipState', v)}
              </Tag>
            ),
          },
          {
            title: t('common.actions'),
            key: 'act',
            fixed: 'right',
            width: 170,
            render: (_, c) =>
              c.state === 'verified' ? (
                <Space>
                  <Button
                    icon={<PlayCircleOutlined />}
                    onClick={() => setPlaying({ clip: c, action: 'view' })}
                    data-testid={`play-${c.clipId}`}
                  >
                    {t('clips.play')}
                  </Button>
                  <Button
                    icon={<DownloadOutlined />}
                    onClick={() => setPlaying({ clip: c, action: 'download' })}
                    aria-label={t('clips.download')}
                  />
                </Space>
              ) : null,
          },
        ]}
      />
      {playing && <AccessModal {...playing} onClose={() => setPlaying(null)} />}
      {exporting && (
        <ExportRequestModal
          clips={selected}
          onClose={() => setExporting(false)}
          onDone={() => {
            setExporting(false);
            setSelected([]);
            navigate('/exports');
          }}
        />
      )}
    </Card>
  );
}

/** Where and when the central archive took the original; whether it is now played from there. */
function ArchiveLine({ archive, loaded }: { archive: ClipArchiveView | undefined; loaded: boolean }) {
  const { t } = useI18n();
  if (!loaded) return null;
  return (
    <Typography.Paragraph type="secondary" data-testid="clip-archive">
      {t('archive.clip')}:{' '}
      {archive ? (
        <>
          {archive.evictedAt
            ? t('archive.clipEvicted', { at: fmtTime(archive.evictedAt) })
            : t('archive.clipAt', { at: fmtTime(archive.at) })}{' '}
          <Typography.Text code>{`${archive.bucket}/${archive.key}`}</Typography.Text>
          {archive.legalHold && <Tag style={{ marginLeft: 8 }}>{t('archive.clipHold')}</Tag>}
        </>
      ) : (
        t('archive.clipNone')
      )}
    </Typography.Paragraph>
  );
}

/** Asks why (R24), then plays the clip or starts the download. */
function AccessModal({
  clip,
  action,
  onClose,
}: {
  clip: ClipView;
  action: 'view' | 'download';
  onClose(): void;
}) {
  const { t } = useI18n();
  const detail = useApi(() => api.clip(clip.clipId), [clip.clipId]);
  return (
    <Modal
      open
      width={820}
      title={t('clips.player', { id: clip.clipId })}
      onCancel={onClose}
      footer={null}
      destroyOnHidden
    >
      <ArchiveLine archive={detail.data?.archive} loaded={detail.data !== undefined} />
      <ReasonedAccess
        name={clip.clipId}
        action={action}
        urlFor={(reason) => api.clipContentUrl(clip.clipId, action, reason)}
      />
    </Modal>
  );
}
