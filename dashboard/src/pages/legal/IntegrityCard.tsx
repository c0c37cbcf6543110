/**
 * Integrity of the originals (R25) at the top of the audit page: the last full sweep (when, result,
 * how much was re-hashed), the next one, and every open integrity failure, which the principal or
 * legal affairs close with a note saying what was done.
 */
import { Alert, Button, Card, Descriptions, Input, List, Modal, Space, Tag, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../api/client.js';
import type { StoredAlert } from '../../api/types.js';
import { SeverityTag } from '../../components/labels.js';
import { useI18n } from '../../i18n/index.js';
import { fmtTime } from '../../time.js';
import { useAction } from '../../useAction.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';

const RESOLVERS = ['legal-affairs', 'principal'];

export function IntegrityCard() {
  const { t, te } = useI18n();
  const user = useUser();
  const q = useApi(() => api.integrity(), [], {
    refetchOn: ['integrity.failed', 'alert.raised', 'alert.cleared'],
    debounceMs: 500,
  });
  const [resolving, setResolving] = useState<StoredAlert | null>(null);
  const sweep = q.data?.sweep;
  const last = sweep?.last;
  const failures = q.data?.failures ?? [];
  const mayResolve = user.roles.some((r) => RESOLVERS.includes(r));
  return (
    <Card title={t('originals.title')} style={{ marginBottom: 16 }} data-testid="integrity-card">
      <Descriptions size="small" column={{ xs: 1, md: 3 }}>
        <Descriptions.Item label={t('originals.lastSweep')}>
          {last ? (
            <Space>
              {fmtTime(last.finishedAt)}
              <Tag color={last.ok ? 'green' : 'red'} data-testid="integrity-last-result">
                {last.ok ? t('originals.ok') : t('originals.failed')}
              </Tag>
            </Space>
          ) : (
            t('originals.never')
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('originals.checked')}>
          {last
            ? t('originals.checkedValue', { n: last.summary.blobsChecked, clips: last.summary.clips })
            : '—'}
        </Descriptions.Item>
        <Descriptions.Item label={t('originals.nextSweep')}>
          {sweep?.running ? t('originals.running') : sweep?.nextAt ? fmtTime(sweep.nextAt) : '—'}
        </Descriptions.Item>
      </Descriptions>
      {failures.length === 0 ? (
        <Alert type="success" showIcon message={t('originals.none')} data-testid="integrity-none" />
      ) : (
        <List
          size="small"
          bordered
          dataSource={failures}
          renderItem={(f) => (
            <List.Item
              data-testid={`integrity-failure-${f.subject}`}
              actions={
                mayResolve
                  ? [
                      <Button key="resolve" size="small" onClick={() => setResolving(f)}>
                        {t('originals.resolve')}
                      </Button>,
                    ]
                  : []
              }
            >
              <List.Item.Meta
                title={
                  <Space wrap>
                    <SeverityTag severity={f.severity} />
                    <span>
                      {te(
                        'originals.kind',
                        f.rule === 'integrity-failure' ? String(f.details?.kind) : f.rule,
                      )}
                    </span>
                    <Typography.Text code>{f.subject}</Typography.Text>
                    <span style={{ color: '#888' }}>{fmtTime(f.at)}</span>
                  </Space>
                }
                description={f.message}
              />
            </List.Item>
          )}
        />
      )}
      {resolving && (
        <ResolveModal
          failure={resolving}
          onClose={(done) => {
            setResolving(null);
            if (done) q.reload();
          }}
        />
      )}
    </Card>
  );
}

function ResolveModal({ failure, onClose }: { failure: StoredAlert; onClose(done: boolean): void }) {
  const { t } = useI18n();
  const [note, setNote] = useState('');
  const { busy, run } = useAction();
  const submit = () =>
    run(async () => {
      await api.resolveIntegrity(failure.id, note.trim());
      onClose(true);
      return undefined;
    });
  return (
    <Modal
      open
      title={t('originals.resolve')}
      onCancel={() => onClose(false)}
      onOk={submit}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, disabled: note.trim() === '', id: 'integrity-resolve-submit' }}
    >
      <Typography.Paragraph>{failure.message}</Typography.Paragraph>
      <Input.TextArea
        rows={4}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        placeholder={t('originals.notePlaceholder')}
        data-testid="integrity-note"
      />
    </Modal>
  );
}
