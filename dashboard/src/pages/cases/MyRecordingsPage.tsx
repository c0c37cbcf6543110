/**
 * "My recordings" (R19, R22, R9–R13): what an officer has to do after a shift — write the
 * explanation of each interruption they held the recorder for, tag their sessions with a case (in
 * bulk), and watch their clips reach the designated storage within 24 h.
 */
import { Alert, App, Button, Card, Form, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { ACTIVITIES } from '../../../../protocol/activities.js';
import { CASE_STAGES, type CaseStage, casesApi, type MyRecordings } from '../../api/cases.js';
import type { Activity, ClipView, Interruption } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { Link } from '../../router.js';
import { fmtDuration, fmtTime } from '../../time.js';
import { useApi } from '../../useApi.js';
import { ExplainModal } from '../legal/InterruptionsPage.js';

type Rec = MyRecordings['recordings'][number];
const recKey = (r: Rec) =>
  r.target.kind === 'hearing' ? `h:${r.target.hearingId}` : `rs:${r.target.serial}:${r.target.sessionId}`;
const CLIP_COLOR: Record<string, string> = {
  verified: 'green',
  uploading: 'processing',
  'on-recorder': 'gold',
  overdue: 'red',
  quarantined: 'magenta',
};

export default function MyRecordingsPage() {
  const { t, te } = useI18n();
  const mine = useApi(() => casesApi.mine(), [], {
    refetchOn: ['interruption.opened', 'interruption.updated', 'clip.stored', 'ingest.progress'],
    debounceMs: 1000,
  });
  const [selected, setSelected] = useState<string[]>([]);
  const [tagging, setTagging] = useState<Rec[] | null>(null);
  const [explaining, setExplaining] = useState<Interruption | null>(null);
  const data = mine.data;
  const toExplain = (data?.interruptions ?? []).filter((r) => r.toExplain || r.status === 'explained');
  const recs = data?.recordings ?? [];
  return (
    <Space orientation="vertical" size={16} style={{ width: '100%' }}>
      <ApiErrorView error={mine.error} api="GET /api/my/recordings" />
      <Card title={t('mine.toExplain')} data-testid="mine-explain">
        <Table<Interruption & { toExplain: boolean }>
          rowKey="id"
          size="small"
          dataSource={toExplain}
          loading={mine.loading && !data}
          locale={{ emptyText: t('mine.toExplain.none') }}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          columns={[
            {
              title: t('interruptions.start'),
              dataIndex: 'start',
              width: 170,
              render: (v: number) => fmtTime(v),
            },
            { title: t('interruptions.recorder'), dataIndex: 'device', width: 120 },
            { title: t('interruptions.cause'), dataIndex: 'cause', render: (v: string) => te('cause', v) },
            {
              title: t('interruptions.end'),
              key: 'end',
              render: (_, r) =>
                r.end === null ? (
                  <Tag color="red">{t('interruptions.notResumed')}</Tag>
                ) : (
                  fmtDuration(r.end - r.start, t)
                ),
            },
            {
              title: t('interruptions.status'),
              dataIndex: 'status',
              width: 100,
              render: (v: string, r) => (
                <Space size={4}>
                  <Tag color={v === 'open' ? 'red' : 'gold'}>{te('status', v)}</Tag>
                  {r.review?.verdict === 'returned' && (
                    <Tag color="orange">{t('interruptions.review.return')}</Tag>
                  )}
                </Space>
              ),
            },
            {
              title: t('common.actions'),
              key: 'act',
              width: 120,
              render: (_, r) => (
                <Button
                  type={r.toExplain ? 'primary' : 'default'}
                  size="small"
                  onClick={() => setExplaining(r)}
                  data-testid={`mine-explain-${r.id}`}
                >
                  {t('interruptions.explain')}
                </Button>
              ),
            },
          ]}
        />
      </Card>
      <Card
        title={t('mine.recordings')}
        data-testid="mine-recordings"
        extra={
          <Space>
            {selected.length > 0 && (
              <Typography.Text type="secondary">
                {t('mine.tag.selected', { n: selected.length })}
              </Typography.Text>
            )}
            <Button
              type="primary"
              disabled={selected.length === 0}
              onClick={() => setTagging(recs.filter((r) => selected.includes(recKey(r))))}
              data-testid="mine-tag"
            >
              {t('mine.tag')}
            </Button>
          </Space>
        }
      >
        <Table<Rec>
          rowKey={recKey}
          size="small"
          dataSource={recs}
          loading={mine.loading && !data}
          locale={{ emptyText: t('mine.recordings.none') }}
          pagination={{ pageSize: 15, hideOnSinglePage: true }}
          rowSelection={{
            selectedRowKeys: selected,
            onChange: (keys) => setSelected(keys as string[]),
            getCheckboxProps: (r) =>
              ({ disabled: r.recording, 'data-testid': `mine-select-${recKey(r)}` }) as never,
          }}
          columns={[
            {
              title: t('mine.start'),
              dataIndex: 'start',
              width: 170,
              render: (v: number | null) => fmtTime(v),
            },
            {
              title: t('mine.recording'),
              key: 'what',
              render: (_, r) =>
                r.target.kind === 'hearing'
                  ? t('mine.hearing', { id: r.target.hearingId })
                  : `${r.target.serial} · ${r.target.sessionId}`,
            },
            {
              title: t('mine.activity'),
              dataIndex: 'activity',
              width: 110,
              render: (v: string | null) => (v ? te('activity', v) : '—'),
            },
            {
              title: t('mine.duration'),
              key: 'len',
              width: 90,
              render: (_, r) =>
                r.recording ? (
                  <Tag color="processing">{t('mine.stillRecording')}</Tag>
                ) : (
                  fmtDuration(r.end !== null && r.start !== null ? r.end - r.start : null, t)
                ),
            },
            {
              title: t('mine.case'),
              key: 'case',
              render: (_, r) =>
                r.case ? (
                  <Space size={4} wrap>
                    <Link to={`/cases/${encodeURIComponent(r.case.caseNo)}`}>{r.case.caseNo}</Link>
                    {r.case.stage && <Tag>{te('stage', r.case.stage)}</Tag>}
                    {r.case.activity && <Tag>{te('activity', r.case.activity)}</Tag>}
                  </Space>
                ) : (
                  <Space size={4} wrap>
                    <Tag color="orange">{t('mine.untagged')}</Tag>
                    {r.stampedCaseNo && (
                      <Typography.Text type="secondary">
                        {t('mine.stamped', { no: r.stampedCaseNo })}
                      </Typography.Text>
                    )}
                  </Space>
                ),
            },
            {
              title: '',
              key: 'flags',
              render: (_, r) =>
                r.flags.map((f) => (
                  <Tag key={f} color="red">
                    {te('flag', f)}
                  </Tag>
                )),
            },
          ]}
        />
      </Card>
      <Card title={t('mine.clips')} data-testid="mine-clips">
        <Table<ClipView>
          rowKey="clipId"
          size="small"
          dataSource={data?.clips ?? []}
          loading={mine.loading && !data}
          locale={{ emptyText: t('mine.clips.none') }}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          columns={[
            { title: t('mine.start'), dataIndex: 'start', width: 170, render: (v: number) => fmtTime(v) },
            { title: t('interruptions.recorder'), key: 'src', width: 120, render: (_, c) => c.source.id },
            { title: t('interruptions.session'), dataIndex: 'sessionId' },
            {
              title: t('mine.clip.state'),
              dataIndex: 'state',
              width: 110,
              render: (v: string) => <Tag color={CLIP_COLOR[v]}>{te('clipState', v)}</Tag>,
            },
            {
              title: t('mine.clip.deadline'),
              key: 'deadline',
              render: (_, c) =>
                c.deadlineLeftMs === null ? (
                  <Typography.Text type="secondary">
                    {fmtTime(c.ingestedAt ?? null, 'MM-DD HH:mm')}
                  </Typography.Text>
                ) : (
                  <span>
                    {fmtTime(c.deadline, 'MM-DD HH:mm')}{' '}
                    <Typography.Text type={c.deadlineLeftMs < 0 ? 'danger' : 'secondary'}>
                      {c.deadlineLeftMs < 0
                        ? t('mine.clip.late', { d: fmtDuration(-c.deadlineLeftMs, t) })
                        : t('mine.clip.left', { d: fmtDuration(c.deadlineLeftMs, t) })}
                    </Typography.Text>
                  </span>
                ),
            },
          ]}
        />
      </Card>
      {explaining && (
        <ExplainModal
          item={explaining}
          onClose={(done) => {
            setExplaining(null);
            if (done) mine.reload();
          }}
        />
      )}
      {tagging && data && (
        <TagModal
          recs={tagging}
          cases={data.cases}
          onClose={(done) => {
            setTagging(null);
            if (done) {
              setSelected([]);
              mine.reload();
            }
          }}
        />
      )}
    </Space>
  );
}

function TagModal({
  recs,
  cases,
  onClose,
}: {
  recs: Rec[];
  cases: MyRecordings['cases'];
  onClose(done: boolean): void;
}) {
  const { t, te } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<{ caseNo: string; stage: CaseStage; activity: Activity | '' }>();
  const [busy, setBusy] = useState(false);
  const first = cases[0];
  const submit = async (v: { caseNo: string; stage: CaseStage; activity: Activity | '' }) => {
    setBusy(true);
    try {
      const links = await casesApi.tag(
        v.caseNo,
        recs.map((r) => r.target),
        v.stage,
        v.activity || undefined,
      );
      message.success(t('mine.tag.ok', { n: links.length }));
      onClose(true);
    } catch (e) {
      message.error(t('common.error', { msg: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('mine.tag.title', { n: recs.length })}
      onCancel={() => onClose(false)}
      onOk={() => form.submit()}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, disabled: cases.length === 0, id: 'tag-submit' }}
    >
      {cases.length === 0 && (
        <Alert type="warning" showIcon title={t('mine.tag.noCases')} style={{ marginBottom: 12 }} />
      )}
      <Form
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{
          caseNo: first?.key,
          stage: first?.stage ?? 'investigation',
          activity: '',
        }}
        onValuesChange={(changed: { caseNo?: string }) => {
          const c = changed.caseNo ? cases.find((x) => x.key === changed.caseNo) : undefined;
          if (c) form.setFieldValue('stage', c.stage);
        }}
      >
        <Form.Item name="caseNo" label={t('cases.caseNo')} rules={[{ required: true }]}>
          <Select
            showSearch
            optionFilterProp="label"
            data-testid="tag-case"
            options={cases.map((c) => ({ value: c.key, label: `${c.caseNo} ${c.title}` }))}
          />
        </Form.Item>
        <Form.Item name="stage" label={t('cases.stage')}>
          <Select options={CASE_STAGES.map((s) => ({ value: s, label: te('stage', s) }))} />
        </Form.Item>
        <Form.Item name="activity" label={t('mine.activity')}>
          <Select
            showSearch
            optionFilterProp="label"
            options={[
              { value: '', label: t('mine.activity.own') },
              ...ACTIVITIES.map((a) => ({ value: a, label: te('activity', a) })),
            ]}
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
