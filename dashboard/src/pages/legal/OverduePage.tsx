/** Clips not on the designated storage within 24 h of recording (R22). */
import { Card, Table, Tag } from 'antd';
import { useEffect, useState } from 'react';
import { api } from '../../api/client.js';
import type { ClipView } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { OfficerLabel } from '../../components/labels.js';
import { useI18n } from '../../i18n/index.js';
import { fmtDuration, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';

export default function OverduePage() {
  const { t, te } = useI18n();
  const q = useApi(() => api.clips({ state: 'overdue' }), [], {
    refetchOn: ['clip.stored', 'alert.raised'],
    debounceMs: 1000,
  });
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), 60_000);
    return () => clearInterval(id);
  }, []);
  return (
    <Card title={t('overdue.title')}>
      <ApiErrorView error={q.error} api="GET /api/clips?state=overdue" />
      <Table<ClipView>
        rowKey="clipId"
        size="middle"
        loading={q.loading && !q.data}
        dataSource={q.data ?? []}
        locale={{ emptyText: t('overdue.none') }}
        scroll={{ x: 900 }}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { title: t('clips.recorder'), key: 'src', render: (_, c) => c.source.id },
          {
            title: t('clips.officer'),
            key: 'officer',
            render: (_, c) => <OfficerLabel officer={c.officer} />,
          },
          { title: t('clips.start'), dataIndex: 'start', render: (v: number) => fmtTime(v) },
          { title: t('overdue.deadline'), dataIndex: 'deadline', render: (v: number) => fmtTime(v) },
          {
            title: t('overdue.by'),
            key: 'by',
            sorter: (a, b) => a.deadline - b.deadline,
            defaultSortOrder: 'ascend',
            render: (_, c) => <Tag color="red">{fmtDuration(now - c.deadline, t)}</Tag>,
          },
          { title: t('clips.state'), dataIndex: 'state', render: (v: string) => te('clipState', v) },
        ]}
      />
    </Card>
  );
}
