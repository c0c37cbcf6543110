/**
 * The case registry (R9–R13): fuzzy search by number, party, officer and date; legal affairs and
 * officers register cases; legal affairs import a unit's case list with a per-row error report.
 */
import { Button, Card, DatePicker, Input, Select, Space, Table, Tag, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { CASE_STAGES, CASE_TYPES, type CaseRecord, casesApi } from '../../api/cases.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { Link } from '../../router.js';
import { fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';
import { CaseFormModal } from './CaseFormModal.js';
import { ImportModal } from './ImportModal.js';
import { STAGE_COLOR } from './labels.js';

export default function CasesPage() {
  const { t, te } = useI18n();
  const me = useUser();
  const [q, setQ] = useState('');
  const [day, setDay] = useState<Dayjs | null>(null);
  const [stage, setStage] = useState<string | undefined>();
  const [type, setType] = useState<string | undefined>();
  const [creating, setCreating] = useState(false);
  const [importing, setImporting] = useState(false);
  const list = useApi(
    () => casesApi.list({ q, date: day?.format('YYYY-MM-DD'), stage, type, limit: 500 }),
    [q, day, stage, type],
    { debounceMs: 250 },
  );
  const mayCreate = me.roles.includes('legal-affairs') || me.roles.includes('officer');
  return (
    <Card
      title={t('cases.title')}
      extra={
        <Space>
          {mayCreate && (
            <Button type="primary" onClick={() => setCreating(true)} data-testid="case-new">
              {t('cases.new')}
            </Button>
          )}
          {me.roles.includes('legal-affairs') && (
            <Button onClick={() => setImporting(true)} data-testid="case-import">
              {t('cases.import')}
            </Button>
          )}
        </Space>
      }
    >
      <Space wrap style={{ marginBottom: 16 }}>
        <Input.Search
          allowClear
          placeholder={t('cases.search')}
          style={{ width: 320 }}
          onSearch={setQ}
          onChange={(e) => e.target.value === '' && setQ('')}
          data-testid="case-search"
        />
        <DatePicker placeholder={t('cases.date')} value={day} onChange={setDay} />
        <Select
          allowClear
          placeholder={t('cases.stage')}
          style={{ width: 140 }}
          value={stage}
          onChange={setStage}
          options={CASE_STAGES.map((s) => ({ value: s, label: te('stage', s) }))}
        />
        <Select
          allowClear
          placeholder={t('cases.type')}
          style={{ width: 130 }}
          value={type}
          onChange={setType}
          options={CASE_TYPES.map((s) => ({ value: s, label: te('caseType', s) }))}
        />
      </Space>
      <ApiErrorView error={list.error} api="GET /api/cases" />
      <Table<CaseRecord>
        rowKey="key"
        size="middle"
        loading={list.loading && !list.data}
        dataSource={list.data ?? []}
        locale={{ emptyText: t('cases.none') }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        scroll={{ x: 900 }}
        columns={[
          {
            title: t('cases.caseNo'),
            dataIndex: 'caseNo',
            width: 200,
            render: (v: string, c) => (
              <Link to={`/cases/${encodeURIComponent(c.key)}`} testId={`case-${c.key}`}>
                {v}
              </Link>
            ),
          },
          { title: t('cases.titleField'), dataIndex: 'title' },
          { title: t('cases.type'), dataIndex: 'type', width: 100, render: (v: string) => te('caseType', v) },
          { title: t('cases.unit'), dataIndex: 'unit', width: 110 },
          {
            title: t('cases.stage'),
            dataIndex: 'stage',
            width: 110,
            render: (v: string) => <Tag color={STAGE_COLOR[v]}>{te('stage', v)}</Tag>,
          },
          {
            title: t('cases.parties'),
            dataIndex: 'parties',
            render: (v: string[]) => <Typography.Text ellipsis>{v.join('、')}</Typography.Text>,
          },
          {
            title: t('cases.updated'),
            dataIndex: 'updatedAt',
            width: 160,
            render: (v: string) => fmtTime(v, 'YYYY-MM-DD HH:mm'),
          },
        ]}
      />
      {creating && (
        <CaseFormModal
          onClose={(saved) => {
            setCreating(false);
            if (saved) list.reload();
          }}
        />
      )}
      {importing && (
        <ImportModal
          onClose={(imported) => {
            setImporting(false);
            if (imported) list.reload();
          }}
        />
      )}
    </Card>
  );
}
