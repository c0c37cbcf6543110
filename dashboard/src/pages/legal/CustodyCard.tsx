/**
 * Custody of the audit log (R25, gateway/custody/FORMATS.md §2) on the audit page: the signing
 * key's fingerprint to check against the legal-affairs register, the recent signed checkpoints
 * with their printable receipts (托管凭证), and, for the principal and legal affairs, a checkpoint
 * issued now (before a USB witness is taken away).
 */
import { FilePdfOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { Button, Card, Descriptions, Input, List, Modal, Space, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../api/client.js';
import type { Checkpoint } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { useI18n } from '../../i18n/index.js';
import { fmtTime } from '../../time.js';
import { useAction } from '../../useAction.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';

const ISSUERS = ['principal', 'legal-affairs'];

export function CustodyCard() {
  const { t } = useI18n();
  const user = useUser();
  const key = useApi(() => api.custodyKey(), []);
  const cps = useApi(() => api.checkpoints(10), []);
  const [issuing, setIssuing] = useState(false);
  const latest = cps.data?.[0];
  const mayIssue = user.roles.some((r) => ISSUERS.includes(r));
  return (
    <Card
      title={t('custody.title')}
      style={{ marginBottom: 16 }}
      data-testid="custody-card"
      extra={
        mayIssue && (
          <Button
            icon={<SafetyCertificateOutlined />}
            onClick={() => setIssuing(true)}
            data-testid="custody-issue"
          >
            {t('custody.issue')}
          </Button>
        )
      }
    >
      <ApiErrorView error={key.error ?? cps.error} api="GET /api/custody" />
      <Descriptions size="small" column={1}>
        <Descriptions.Item label={t('custody.fingerprint')}>
          <Space direction="vertical" size={0}>
            <Typography.Text code data-testid="custody-fingerprint">
              {key.data?.fingerprintGrouped ?? '—'}
            </Typography.Text>
            <Typography.Text type="secondary">{t('custody.fingerprintHint')}</Typography.Text>
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('custody.latest')}>
          <span data-testid="custody-latest">
            {latest
              ? `${t('custody.entries', { n: latest.treeSize })} · ${fmtTime(latest.at)}`
              : t('custody.none')}
          </span>
        </Descriptions.Item>
      </Descriptions>
      {/* A list, not a table: the audit page's one table is the log itself. */}
      <List<Checkpoint>
        size="small"
        bordered
        loading={cps.loading && !cps.data}
        dataSource={cps.data ?? []}
        renderItem={(cp) => (
          <List.Item
            data-testid={`custody-checkpoint-${cp.treeSize}`}
            actions={[
              <Button
                key="receipt"
                size="small"
                icon={<FilePdfOutlined />}
                href={api.checkpointReceiptUrl(cp.treeSize)}
                target="_blank"
                data-testid={`custody-receipt-${cp.treeSize}`}
              >
                {t('custody.receipt')}
              </Button>,
            ]}
          >
            <Space wrap>
              <span>{t('custody.entries', { n: cp.treeSize })}</span>
              <span style={{ color: '#888' }}>{fmtTime(cp.at)}</span>
              <span>
                {t('custody.root')} <Typography.Text code>{`${cp.rootHash.slice(0, 16)}…`}</Typography.Text>
              </span>
            </Space>
          </List.Item>
        )}
      />
      {issuing && (
        <IssueModal
          onClose={(done) => {
            setIssuing(false);
            if (done) cps.reload();
          }}
        />
      )}
    </Card>
  );
}

function IssueModal({ onClose }: { onClose(done: boolean): void }) {
  const { t } = useI18n();
  const { busy, run } = useAction();
  const [reason, setReason] = useState('');
  const submit = () =>
    run(async () => {
      const cp = await api.issueCheckpoint(reason.trim() || t('custody.issue'));
      onClose(true);
      return t('custody.issued', { n: cp.treeSize });
    });
  return (
    <Modal
      open
      title={t('custody.issue')}
      onCancel={() => onClose(false)}
      onOk={submit}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, id: 'custody-issue-submit' }}
    >
      <Input
        value={reason}
        maxLength={200}
        onChange={(e) => setReason(e.target.value)}
        placeholder={t('custody.issueReason')}
        data-testid="custody-reason"
      />
    </Modal>
  );
}
