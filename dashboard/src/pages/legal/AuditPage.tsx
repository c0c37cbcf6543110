/** The append-only audit log (R3, R25), newest first. */
import { Card, Input, Table, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { api } from '../../api/client.js';
import type { AuditEntryView } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';
import { ArchiveCard } from './ArchiveCard.js';
import { actorLabel, detailsText } from './auditText.js';
import { CustodyCard } from './CustodyCard.js';
import { IntegrityCard } from './IntegrityCard.js';

export default function AuditPage() {
  const { t, te } = useI18n();
  const q = useApi(() => api.audit(500), [], {
    refetchOn: ['clip.stored', 'pairing.changed', 'interruption.updated'],
    debounceMs: 1500,
  });
  // Display names for the actors; without them the log still shows, with login names.
  const people = useApi(() => api.userNames().catch(() => []), []);
  const names = useMemo(
    () => new Map((people.data ?? []).map((u) => [u.username, u.displayName])),
    [people.data],
  );
  const [text, setText] = useState('');
  const rows = useMemo(() => {
    const n = text.trim().toLowerCase();
    const all = [...(q.data ?? [])].sort((a, b) => b.seq - a.seq);
    return n
      ? all.filter((e) =>
          `${e.type} ${e.actor} ${actorLabel(e.actor, names, t)} ${e.subject}`.toLowerCase().includes(n),
        )
      : all;
  }, [q.data, text, names, t]);
  return (
    <>
      <IntegrityCard />
      <CustodyCard />
      <ArchiveCard />
      <Card
        title={t('audit.title')}
        extra={<Input.Search allowClear style={{ width: 240 }} onChange={(e) => setText(e.target.value)} />}
      >
        <ApiErrorView error={q.error} api="GET /api/audit" />
        <Table<AuditEntryView>
          rowKey="seq"
          size="small"
          loading={q.loading && !q.data}
          dataSource={rows}
          scroll={{ x: 1100 }}
          pagination={{ pageSize: 50, hideOnSinglePage: true }}
          columns={[
            { title: t('audit.seq'), dataIndex: 'seq', width: 80 },
            { title: t('audit.at'), dataIndex: 'at', width: 170, render: (v: string) => fmtTime(v) },
            {
              title: t('audit.action'),
              dataIndex: 'type',
              width: 140,
              render: (v: string) => te('audit.type', v),
            },
            {
              title: t('audit.actor'),
              dataIndex: 'actor',
              width: 160,
              render: (v: string) => <span data-testid="audit-actor">{actorLabel(v, names, t)}</span>,
            },
            {
              title: t('audit.subject'),
              dataIndex: 'subject',
              width: 200,
              render: (v: string) => (
                <Typography.Text style={{ wordBreak: 'break-all' }}>{v}</Typography.Text>
              ),
            },
            {
              title: t('audit.details'),
              dataIndex: 'details',
              render: (v: Record<string, unknown>) => {
                const d = detailsText(v);
                return (
                  <Typography.Text type="secondary" ellipsis={{ tooltip: d }} style={{ maxWidth: 420 }}>
                    {d}
                  </Typography.Text>
                );
              },
            },
          ]}
        />
      </Card>
    </>
  );
}
