/**
 * Evidence discs (R23, R24, R25): the principal's approval queue (approve, or refuse with a
 * reason; never one's own request), every request with its state and build progress, and for a
 * built disc the image, the custody receipt, the printable manifest and the hand-over record.
 */
import {
  CheckOutlined,
  CloseOutlined,
  DownloadOutlined,
  FilePdfOutlined,
  SendOutlined,
} from '@ant-design/icons';
import {
  Button,
  Card,
  Descriptions,
  Form,
  Input,
  Modal,
  Progress,
  Space,
  Table,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { useState } from 'react';
import { api } from '../../api/client.js';
import type { ExportState, ExportView } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { useLive } from '../../live.js';
import { epochMs, fmtBytes, fmtTime } from '../../time.js';
import { useAction } from '../../useAction.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';
import { OwnClipsCard } from './OwnClipsCard.js';

const STATE_COLOR: Record<ExportState, string> = {
  requested: 'gold',
  refused: 'default',
  building: 'blue',
  ready: 'green',
  failed: 'red',
};
const SENSITIVITY_COLOR: Record<string, string> = {
  normal: 'default',
  confidential: 'orange',
  secret: 'red',
};

type Dialog = { kind: 'approve' | 'refuse' | 'handover'; exp: ExportView } | null;

export default function ExportsPage() {
  const { t } = useI18n();
  const user = useUser();
  const q = useApi(() => api.exports(), [], { refetchOn: ['export.changed'], debounceMs: 300 });
  // Build progress arrives with each event; patch it in at once (the refetch follows, debounced).
  useLive(['export.changed'], (_name, p) => {
    q.mutate((prev) =>
      prev?.map((e) =>
        e.id === p.id
          ? {
              ...e,
              state: p.state as ExportState,
              ...(p.bytesTotal
                ? { progress: { bytesDone: p.bytesDone ?? 0, bytesTotal: p.bytesTotal } }
                : {}),
            }
          : e,
      ),
    );
  });
  const [dialog, setDialog] = useState<Dialog>(null);
  const principal = user.roles.includes('principal');
  const keeper = principal || user.roles.includes('legal-affairs');
  // Officers request discs of their own recordings here (legal affairs do it from the clips page).
  const ownOnly = user.roles.includes('officer') && !keeper;
  const all = q.data ?? [];
  const queue = all.filter((e) => e.state === 'requested');

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      {ownOnly && <OwnClipsCard onRequested={q.reload} />}
      {principal && (
        <Card title={t('exports.queue')} data-testid="approval-queue">
          <ExportTable
            rows={queue}
            loading={q.loading && !q.data}
            empty={t('exports.queueNone')}
            actionsWidth={210}
            actions={(e) => (
              <Decide exp={e} own={e.requestedBy.username === user.username} onOpen={setDialog} />
            )}
          />
        </Card>
      )}
      <Card title={t('exports.title')}>
        <ApiErrorView error={q.error} api="GET /api/exports" />
        <ExportTable
          rows={all}
          loading={q.loading && !q.data}
          empty={t('exports.none')}
          actionsWidth={330}
          actions={keeper ? (e) => <Deliver exp={e} onOpen={setDialog} /> : undefined}
        />
      </Card>
      {dialog && (
        <DecisionModal
          dialog={dialog}
          onClose={() => setDialog(null)}
          onDone={(v) => {
            if (v) q.mutate((prev) => prev?.map((e) => (e.id === v.id ? v : e)));
            q.reload();
            setDialog(null);
          }}
        />
      )}
    </Space>
  );
}

function ExportTable({
  rows,
  loading,
  empty,
  actions,
  actionsWidth,
}: {
  rows: ExportView[];
  loading: boolean;
  empty: string;
  /** None: the reader has nothing to do with a request (an officer, an auditor). */
  actions?: (e: ExportView) => React.ReactNode;
  actionsWidth: number;
}) {
  const { t, te } = useI18n();
  return (
    <Table<ExportView>
      rowKey="id"
      size="middle"
      loading={loading}
      dataSource={rows}
      locale={{ emptyText: empty }}
      scroll={{ x: 1300 }}
      pagination={{ pageSize: 20, hideOnSinglePage: true }}
      onRow={(e) => ({ 'data-testid': `export-row-${e.id}` }) as React.HTMLAttributes<HTMLElement>}
      expandable={{ expandedRowRender: (e) => <ExportDetails exp={e} /> }}
      columns={[
        {
          title: t('exports.requestedAt'),
          dataIndex: 'requestedAt',
          width: 170,
          render: (v: string) => fmtTime(v),
          sorter: (a, b) => (epochMs(a.requestedAt) ?? 0) - (epochMs(b.requestedAt) ?? 0),
          defaultSortOrder: 'descend',
        },
        { title: t('exports.caseNo'), dataIndex: 'caseNo', width: 140 },
        { title: t('exports.state'), key: 'state', width: 160, render: (_, e) => <StateCell exp={e} /> },
        {
          title: t('exports.recipient'),
          key: 'recipient',
          width: 280,
          render: (_, e) => (
            <span>
              <Tag>{te('exports.recipient', e.recipient.kind)}</Tag>
              {e.recipient.name}
              {e.outsideRequest && (
                <Tag color="purple" style={{ marginInlineStart: 6 }}>
                  {t('exports.outside')}
                </Tag>
              )}
            </span>
          ),
        },
        { title: t('exports.requestedBy'), key: 'by', width: 150, render: (_, e) => e.requestedBy.name },
        { title: t('exports.clips'), key: 'n', width: 80, render: (_, e) => e.clipIds.length },
        {
          title: t('exports.sensitivity'),
          dataIndex: 'sensitivity',
          width: 90,
          render: (v: string) => <Tag color={SENSITIVITY_COLOR[v]}>{te('exports.sensitivity', v)}</Tag>,
        },
        ...(actions
          ? [
              {
                title: t('common.actions'),
                key: 'act',
                fixed: 'right' as const,
                width: actionsWidth,
                render: (_: unknown, e: ExportView) => actions(e),
              },
            ]
          : []),
      ]}
    />
  );
}

function StateCell({ exp }: { exp: ExportView }) {
  const { t, te } = useI18n();
  const p = exp.progress;
  if (exp.state === 'building' && p && p.bytesTotal > 0) {
    const pct = Math.min(99, Math.floor((100 * p.bytesDone) / p.bytesTotal));
    return (
      <span data-testid={`export-state-${exp.id}`} data-state={exp.state}>
        <Progress percent={pct} size="small" status="active" format={() => t('exports.progress', { pct })} />
      </span>
    );
  }
  return (
    <Tag color={STATE_COLOR[exp.state]} data-testid={`export-state-${exp.id}`} data-state={exp.state}>
      {te('exports.state', exp.state)}
    </Tag>
  );
}

function ExportDetails({ exp }: { exp: ExportView }) {
  const { t } = useI18n();
  return (
    <Descriptions size="small" column={1} bordered>
      <Descriptions.Item label={t('exports.id')}>{exp.id}</Descriptions.Item>
      <Descriptions.Item label={t('exports.purpose')}>{exp.purpose}</Descriptions.Item>
      {exp.outsideRequest && (
        <>
          <Descriptions.Item label={t('exports.outside.by')}>
            {exp.outsideRequest.requestedBy}
          </Descriptions.Item>
          <Descriptions.Item label={t('exports.outside.basis')}>{exp.outsideRequest.basis}</Descriptions.Item>
        </>
      )}
      {exp.decidedBy && (
        <Descriptions.Item label={t('exports.decided')}>
          {t('exports.decidedBy', { name: exp.decidedBy.name, at: fmtTime(exp.decidedAt) })}
        </Descriptions.Item>
      )}
      {exp.reason && (
        <Descriptions.Item label={exp.state === 'refused' ? t('exports.reason') : t('exports.note')}>
          {exp.reason}
        </Descriptions.Item>
      )}
      {exp.image && (
        <Descriptions.Item label={t('exports.image')}>
          {exp.image.name} · {fmtBytes(exp.image.bytes)} ·{' '}
          <Typography.Text code copyable style={{ fontSize: 12 }}>
            {exp.image.sha256}
          </Typography.Text>
        </Descriptions.Item>
      )}
      {exp.error && (
        <Descriptions.Item label={t('exports.error')}>
          <Typography.Text type="danger">{exp.error}</Typography.Text>
        </Descriptions.Item>
      )}
    </Descriptions>
  );
}

/** The principal's decision; one's own request is shown, not decidable (R25). */
function Decide({ exp, own, onOpen }: { exp: ExportView; own: boolean; onOpen(d: Dialog): void }) {
  const { t } = useI18n();
  if (own) {
    return (
      <Tooltip title={t('exports.ownRequest')}>
        <Tag data-testid={`own-${exp.id}`}>{t('exports.ownRequest')}</Tag>
      </Tooltip>
    );
  }
  return (
    <Space>
      <Button
        type="primary"
        icon={<CheckOutlined />}
        onClick={() => onOpen({ kind: 'approve', exp })}
        data-testid={`approve-${exp.id}`}
      >
        {t('exports.approve')}
      </Button>
      <Button
        danger
        icon={<CloseOutlined />}
        onClick={() => onOpen({ kind: 'refuse', exp })}
        data-testid={`refuse-${exp.id}`}
      >
        {t('exports.refuse')}
      </Button>
    </Space>
  );
}

/** A built disc: its image (each download audited), receipt, manifest, and the hand-over record. */
function Deliver({ exp, onOpen }: { exp: ExportView; onOpen(d: Dialog): void }) {
  const { t } = useI18n();
  if (exp.state !== 'ready') return null;
  return (
    <Space wrap size={4}>
      <Button
        type="primary"
        size="small"
        icon={<DownloadOutlined />}
        href={api.exportImageUrl(exp.id)}
        download={exp.image?.name}
        data-testid={`download-${exp.id}`}
      >
        {t('exports.download')}
      </Button>
      <Button
        size="small"
        icon={<FilePdfOutlined />}
        href={api.exportReceiptUrl(exp.id)}
        target="_blank"
        data-testid={`receipt-${exp.id}`}
      >
        {t('exports.receipt')}
      </Button>
      <Button size="small" icon={<FilePdfOutlined />} href={api.exportManifestUrl(exp.id)} target="_blank">
        {t('exports.manifest')}
      </Button>
      <Button
        size="small"
        icon={<SendOutlined />}
        onClick={() => onOpen({ kind: 'handover', exp })}
        data-testid={`handover-${exp.id}`}
      >
        {t('exports.handover')}
      </Button>
    </Space>
  );
}

function DecisionModal({
  dialog,
  onClose,
  onDone,
}: {
  dialog: NonNullable<Dialog>;
  onClose(): void;
  onDone(v: ExportView | null): void;
}) {
  const { t } = useI18n();
  const { busy, run } = useAction();
  const [text, setText] = useState('');
  const [to, setTo] = useState('');
  const { kind, exp } = dialog;
  const required =
    kind === 'refuse' ? text.trim().length > 1 : kind === 'handover' ? to.trim().length > 1 : true;
  const submit = () =>
    run(async () => {
      if (kind === 'approve') onDone(await api.approveExport(exp.id, text.trim() || undefined));
      else if (kind === 'refuse') onDone(await api.refuseExport(exp.id, text.trim()));
      else {
        await api.handoverExport(exp.id, to.trim(), text.trim() || undefined);
        onDone(null);
      }
      return t(`exports.${kind}.ok` as const);
    });
  return (
    <Modal
      open
      title={t(`exports.${kind}.title` as const, { id: exp.id })}
      onCancel={onClose}
      onOk={submit}
      okButtonProps={{
        disabled: !required,
        loading: busy,
        id: 'export-dialog-ok',
        danger: kind === 'refuse',
      }}
      okText={
        kind === 'approve'
          ? t('exports.approve')
          : kind === 'refuse'
            ? t('exports.refuse')
            : t('common.submit')
      }
      cancelText={t('common.cancel')}
      destroyOnHidden
    >
      <Descriptions size="small" column={1} style={{ marginBottom: 12 }}>
        <Descriptions.Item label={t('exports.caseNo')}>{exp.caseNo}</Descriptions.Item>
        <Descriptions.Item label={t('exports.recipient')}>{exp.recipient.name}</Descriptions.Item>
        <Descriptions.Item label={t('exports.purpose')}>{exp.purpose}</Descriptions.Item>
        <Descriptions.Item label={t('exports.clips')}>{exp.clipIds.length}</Descriptions.Item>
      </Descriptions>
      {kind === 'approve' && <Typography.Paragraph>{t('exports.approve.text')}</Typography.Paragraph>}
      <Form layout="vertical">
        {kind === 'handover' && (
          <Form.Item label={t('exports.handover.to')} required>
            <Input
              value={to}
              onChange={(e) => setTo(e.target.value)}
              data-testid="handover-to"
              maxLength={200}
            />
          </Form.Item>
        )}
        <Form.Item
          label={
            kind === 'approve'
              ? t('exports.approve.note')
              : kind === 'refuse'
                ? t('exports.refuse.reason')
                : t('exports.handover.note')
          }
          required={kind === 'refuse'}
        >
          <Input.TextArea
            rows={3}
            value={text}
            onChange={(e) => setText(e.target.value)}
            maxLength={500}
            data-testid="export-dialog-text"
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
