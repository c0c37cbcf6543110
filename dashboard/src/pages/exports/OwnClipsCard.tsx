/**
 * An officer asks for an evidence disc of recordings of their own sessions (R24: access by duty;
 * the gateway refuses anyone else's clips). The principal decides, as for legal affairs.
 */
import { ExportOutlined } from '@ant-design/icons';
import { Button, Card, Table, Tag } from 'antd';
import { useState } from 'react';
import { api } from '../../api/client.js';
import type { ClipView } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { fmtBytes, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';
import { ExportRequestModal } from './ExportRequestModal.js';

export function OwnClipsCard({ onRequested }: { onRequested(): void }) {
  const { t, te } = useI18n();
  const user = useUser();
  const q = useApi(() => api.clips({ officerId: user.username, state: 'verified' }), [user.username], {
    refetchOn: ['clip.stored'],
    debounceMs: 1500,
  });
  const [selected, setSelected] = useState<ClipView[]>([]);
  const [open, setOpen] = useState(false);
  return (
    <Card
      title={t('exports.own.title')}
      extra={
        <Button
          icon={<ExportOutlined />}
          disabled={selected.length === 0}
          onClick={() => setOpen(true)}
          data-testid="export-request"
        >
          {t('exports.request.count', { n: selected.length })}
        </Button>
      }
    >
      <ApiErrorView error={q.error} api="GET /api/clips" />
      <Table<ClipView>
        rowKey="clipId"
        size="small"
        loading={q.loading && !q.data}
        dataSource={q.data ?? []}
        locale={{ emptyText: t('clips.none') }}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        rowSelection={{
          selectedRowKeys: selected.map((c) => c.clipId),
          onChange: (_keys, rows) => setSelected(rows),
        }}
        onRow={(c) => ({ 'data-testid': `own-clip-${c.clipId}` }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('clips.start'), dataIndex: 'start', render: (v: number) => fmtTime(v) },
          { title: t('clips.caseNo'), dataIndex: 'caseNo', render: (v?: string) => v ?? '—' },
          { title: t('clips.source'), key: 'src', render: (_, c) => c.source.id },
          { title: t('clips.size'), dataIndex: 'bytes', render: (v: number) => fmtBytes(v) },
          {
            title: t('clips.state'),
            dataIndex: 'state',
            render: (v: string) => <Tag color="green">{te('clipState', v)}</Tag>,
          },
        ]}
      />
      {open && (
        <ExportRequestModal
          clips={selected}
          onClose={() => setOpen(false)}
          onDone={() => {
            setOpen(false);
            setSelected([]);
            onRequested();
          }}
        />
      )}
    </Card>
  );
}
