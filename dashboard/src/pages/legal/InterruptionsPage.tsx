/**
 * Legal affairs and principal: interruption records and their written explanation (R19). The one
 * who held the recorder explains, legal affairs review, the principal closes; nobody approves text
 * they wrote (the buttons say so, the gateway refuses with SELF_APPROVAL).
 */
import {
  App,
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  Modal,
  Segmented,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useState } from 'react';
import { api } from '../../api/client.js';
import { errorText } from '../../api/errorText.js';
import type { Interruption, InterruptionStatus } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { OfficerLabel } from '../../components/labels.js';
import { useI18n } from '../../i18n/index.js';
import { epochMs, fmtDuration, fmtTime } from '../../time.js';
import { useAction } from '../../useAction.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';
import { ExportRequestModal } from '../exports/ExportRequestModal.js';

const STATUS_COLOR: Record<string, string> = {
  open: 'red',
  explained: 'gold',
  reviewed: 'blue',
  closed: 'green',
};

export default function InterruptionsPage() {
  const { t, te } = useI18n();
  const { message, modal } = App.useApp();
  const me = useUser();
  const [status, setStatus] = useState<InterruptionStatus | 'all'>('open');
  const act = async (call: () => Promise<unknown>, ok: string) => {
    try {
      await call();
      message.success(ok);
      q.reload();
    } catch (e) {
      const code = (e as { code?: string }).code;
      message.error(
        code === 'SELF_APPROVAL' ? t('selfApproval') : t('common.error', { msg: errorText(e, t) }),
      );
    }
  };
  const q = useApi(() => api.interruptions(status === 'all' ? undefined : status), [status], {
    refetchOn: ['interruption.opened', 'interruption.updated'],
    debounceMs: 300,
  });
  const [explaining, setExplaining] = useState<Interruption | null>(null);
  const [referring, setReferring] = useState<Interruption | null>(null);
  return (
    <Card
      title={t('interruptions.title')}
      extra={
        <Segmented
          value={status}
          onChange={(v) => setStatus(v as InterruptionStatus | 'all')}
          options={[
            { value: 'open', label: t('interruptions.open') },
            { value: 'explained', label: t('interruptions.toReview') },
            { value: 'reviewed', label: t('interruptions.toClose') },
            { value: 'all', label: t('interruptions.all') },
          ]}
        />
      }
    >
      <ApiErrorView error={q.error} api="GET /api/interruptions" />
      <Table<Interruption>
        rowKey="id"
        size="middle"
        loading={q.loading && !q.data}
        dataSource={q.data ?? []}
        locale={{ emptyText: t('interruptions.none') }}
        scroll={{ x: 1000 }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        expandable={{
          rowExpandable: (r) => Boolean(r.explanation),
          expandedRowRender: (r) =>
            r.explanation && (
              <Typography.Paragraph style={{ margin: 0 }}>
                <strong>{t('interruptions.explanation')}：</strong>
                {r.explanation.text}
                <Typography.Text type="secondary">
                  {' '}
                  — {r.explanation.author}，{fmtTime(r.explanation.at)}
                </Typography.Text>
              </Typography.Paragraph>
            ),
        }}
        columns={[
          {
            title: t('interruptions.start'),
            dataIndex: 'start',
            width: 170,
            sorter: (a, b) => (epochMs(a.start) ?? 0) - (epochMs(b.start) ?? 0),
            defaultSortOrder: 'descend',
            render: (v: string) => fmtTime(v),
          },
          {
            title: t('interruptions.recorder'),
            key: 'device',
            width: 150,
            render: (_, r) => (
              <span>
                {r.device}
                <Typography.Text type="secondary"> {te('clips.source', r.source)}</Typography.Text>
              </span>
            ),
          },
          {
            title: t('interruptions.officer'),
            key: 'officer',
            render: (_, r) => (r.officer ? <OfficerLabel officer={r.officer} /> : (r.heldBy ?? '—')),
          },
          { title: t('interruptions.cause'), dataIndex: 'cause', render: (v: string) => te('cause', v) },
          {
            title: t('interruptions.end'),
            key: 'end',
            render: (_, r) =>
              r.end ? (
                <span>
                  {fmtTime(r.end, 'HH:mm:ss')}
                  <Typography.Text type="secondary">
                    {' '}
                    ({fmtDuration((epochMs(r.end) ?? 0) - (epochMs(r.start) ?? 0), t)})
                  </Typography.Text>
                </span>
              ) : (
                <Tag color="red">{t('interruptions.notResumed')}</Tag>
              ),
          },
          {
            title: t('interruptions.resumeStatement'),
            dataIndex: 'resumeStatement',
            width: 110,
            render: (v: boolean) => (v ? t('common.yes') : t('common.no')),
          },
          {
            title: t('interruptions.status'),
            dataIndex: 'status',
            width: 90,
            render: (v: string) => <Tag color={STATUS_COLOR[v]}>{te('status', v)}</Tag>,
          },
          {
            title: t('common.actions'),
            key: 'act',
            width: 190,
            fixed: 'right',
            render: (_, r) => {
              const author = r.explanation?.author;
              const mayReview = me.roles.includes('legal-affairs') && r.status === 'explained';
              const mayClose = me.roles.includes('principal') && r.status === 'reviewed';
              const selfWhy =
                author === me.username
                  ? t('interruptions.selfAuthor')
                  : r.review?.by === me.username && mayClose
                    ? t('interruptions.selfReviewer')
                    : null;
              return (
                <Space wrap>
                  {r.cause === 'obstruction' && r.sessionId && (
                    <Button onClick={() => setReferring(r)} data-testid={`refer-${r.id}`}>
                      {t('exports.referral.action')}
                    </Button>
                  )}
                  {(r.status === 'open' || r.status === 'explained') && (
                    <Button
                      type={r.status === 'open' ? 'primary' : 'default'}
                      onClick={() => setExplaining(r)}
                      data-testid={`explain-${r.id}`}
                    >
                      {t('interruptions.explain')}
                    </Button>
                  )}
                  {mayReview && (
                    <Tooltip title={selfWhy}>
                      <Space.Compact>
                        <Button
                          type="primary"
                          disabled={selfWhy !== null}
                          data-testid={`review-${r.id}`}
                          onClick={() =>
                            act(() => api.reviewInterruption(r.id, true), t('interruptions.review.ok'))
                          }
                        >
                          {t('interruptions.review.accept')}
                        </Button>
                        <Button
                          danger
                          disabled={selfWhy !== null}
                          data-testid={`return-${r.id}`}
                          onClick={() =>
                            act(() => api.reviewInterruption(r.id, false), t('interruptions.review.returned'))
                          }
                        >
                          {t('interruptions.review.return')}
                        </Button>
                      </Space.Compact>
                    </Tooltip>
                  )}
                  {mayClose && (
                    <Tooltip title={selfWhy}>
                      <Button
                        type="primary"
                        disabled={selfWhy !== null}
                        data-testid={`close-${r.id}`}
                        onClick={() =>
                          modal.confirm({
                            title: t('interruptions.closeBy.confirm'),
                            okText: t('interruptions.closeBy'),
                            cancelText: t('common.cancel'),
                            okButtonProps: { id: 'close-confirm' },
                            onOk: () => act(() => api.closeInterruption(r.id), t('interruptions.close.ok')),
                          })
                        }
                      >
                        {t('interruptions.closeBy')}
                      </Button>
                    </Tooltip>
                  )}
                </Space>
              );
            },
          },
        ]}
      />
      {referring && (
        <ExportRequestModal
          clips={[]}
          referral={{ interruptionId: referring.id }}
          onClose={() => setReferring(null)}
          onDone={() => setReferring(null)}
        />
      )}
      {explaining && (
        <ExplainModal
          item={explaining}
          onClose={(done) => {
            setExplaining(null);
            if (done) q.reload();
          }}
        />
      )}
    </Card>
  );
}

/** The gateway's bounds for a written explanation (gateway/api/routes/interruptions.ts ExplainBody). */
const EXPLAIN_MIN = 4;
const EXPLAIN_MAX = 4000;

export function ExplainModal({ item, onClose }: { item: Interruption; onClose(done: boolean): void }) {
  const { t, te } = useI18n();
  const [form] = Form.useForm<{ text: string }>();
  const { busy, run } = useAction();
  const submit = (v: { text: string }) =>
    run(async () => {
      await api.explainInterruption(item.id, v.text.trim());
      onClose(true);
      return item.end === null ? t('interruptions.explain.okOngoing') : t('interruptions.explain.ok');
    });
  return (
    <Modal
      open
      title={t('interruptions.explain.title')}
      onCancel={() => onClose(false)}
      onOk={() => form.submit()}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, id: 'explain-submit' }}
      width={620}
    >
      <Descriptions size="small" column={2} bordered style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t('interruptions.recorder')}>{item.device}</Descriptions.Item>
        <Descriptions.Item label={t('interruptions.officer')}>
          <OfficerLabel officer={item.officer} />
        </Descriptions.Item>
        <Descriptions.Item label={t('interruptions.cause')}>{te('cause', item.cause)}</Descriptions.Item>
        <Descriptions.Item label={t('interruptions.start')}>{fmtTime(item.start)}</Descriptions.Item>
      </Descriptions>
      <Form
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{ text: item.explanation?.text ?? '' }}
      >
        <Form.Item
          name="text"
          label={t('interruptions.explain.text')}
          rules={[
            {
              required: true,
              whitespace: true,
              message: t('login.required', { field: t('interruptions.explain.text') }),
            },
            {
              min: EXPLAIN_MIN,
              message: t('form.tooShort', { field: t('interruptions.explain.text'), min: EXPLAIN_MIN }),
            },
            {
              // The gateway takes at most EXPLAIN_MAX characters (ExplainBody): say so, with the count.
              validator: async (_r, v: string | undefined) => {
                const n = (v ?? '').trim().length;
                if (n > EXPLAIN_MAX)
                  throw new Error(
                    t('form.tooLong', { field: t('interruptions.explain.text'), max: EXPLAIN_MAX, n }),
                  );
              },
            },
          ]}
        >
          <Input.TextArea
            rows={5}
            count={{ show: true, max: EXPLAIN_MAX }}
            placeholder={t('interruptions.explain.placeholder')}
            data-testid="explain-text"
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
