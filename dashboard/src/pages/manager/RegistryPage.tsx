/**
 * Recorder registration and credential rotation for the equipment manager (R21). The gateway keeps
 * only the credential's hash and audits both actions (`recorder-admin`), so the credential is shown
 * here exactly once, with a copy button and a warning, and is dropped when the dialog closes.
 */
import { CopyOutlined, KeyOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Modal, Popconfirm, Space, Table, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../../api/client.js';
import type { PublicRecorder } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { FormModal } from '../../components/FormModal.js';
import { useI18n } from '../../i18n/index.js';
import { fmtTime } from '../../time.js';
import { useAction } from '../../useAction.js';
import { useApi } from '../../useApi.js';

interface Issued {
  serial: string;
  credential: string;
}

export default function RegistryPage() {
  const { t } = useI18n();
  const q = useApi(() => api.registeredRecorders(), []);
  const [adding, setAdding] = useState(false);
  const [issued, setIssued] = useState<Issued | null>(null);
  const { busy, run } = useAction();
  const rotate = (serial: string) =>
    run(async () => {
      const r = await api.rotateCredential(serial);
      setIssued(r);
      q.reload();
      return t('common.saved');
    });
  return (
    <Card
      title={t('registry.title')}
      extra={
        <Button
          type="primary"
          icon={<PlusOutlined />}
          onClick={() => setAdding(true)}
          data-testid="recorder-register"
        >
          {t('registry.register')}
        </Button>
      }
    >
      <ApiErrorView error={q.error} api="GET /api/recorders" />
      <Table<PublicRecorder>
        rowKey="serial"
        size="middle"
        loading={q.loading && !q.data}
        dataSource={q.data ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        scroll={{ x: 900 }}
        onRow={(r) => ({ 'data-testid': `registry-row-${r.serial}` }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          { title: t('registry.serial'), dataIndex: 'serial', width: 130 },
          { title: t('registry.model'), dataIndex: 'model', width: 130, render: (v?: string) => v ?? '—' },
          { title: t('registry.unit'), dataIndex: 'unit', width: 130, render: (v?: string) => v ?? '—' },
          {
            title: t('registry.custodian'),
            dataIndex: 'custodian',
            width: 120,
            render: (v?: string) => v ?? '—',
          },
          {
            title: t('registry.registeredAt'),
            dataIndex: 'registeredAt',
            width: 150,
            render: (v: string) => fmtTime(v, 'YYYY-MM-DD HH:mm'),
          },
          {
            title: t('registry.credentialIssuedAt'),
            dataIndex: 'credentialIssuedAt',
            width: 150,
            render: (v: string) => fmtTime(v, 'YYYY-MM-DD HH:mm'),
          },
          {
            title: t('common.actions'),
            key: 'rotate',
            width: 130,
            render: (_, r) => (
              <Popconfirm
                title={t('registry.rotate.confirm', { serial: r.serial })}
                okText={t('registry.rotate')}
                cancelText={t('common.cancel')}
                okButtonProps={{ danger: true, 'data-testid': 'rotate-ok' }}
                onConfirm={() => rotate(r.serial)}
              >
                <Button size="small" icon={<KeyOutlined />} loading={busy} data-testid={`rotate-${r.serial}`}>
                  {t('registry.rotate')}
                </Button>
              </Popconfirm>
            ),
          },
        ]}
      />
      {adding && (
        <RegisterModal
          onClose={() => setAdding(false)}
          onDone={(r) => {
            setAdding(false);
            setIssued(r);
            q.reload();
          }}
        />
      )}
      {issued && <CredentialModal issued={issued} onClose={() => setIssued(null)} />}
    </Card>
  );
}

function RegisterModal({ onClose, onDone }: { onClose(): void; onDone(r: Issued): void }) {
  const { t } = useI18n();
  const opt = (v?: string) => v?.trim() || undefined;
  const text = { max: 64, whitespace: true };
  return (
    <FormModal<{ serial: string; model?: string; unit?: string; custodian?: string }>
      title={t('registry.register')}
      onClose={onClose}
      okTestId="register-ok"
      onSubmit={async (v) => {
        const r = await api.registerRecorder({
          serial: v.serial.trim(),
          model: opt(v.model),
          unit: opt(v.unit),
          custodian: opt(v.custodian),
        });
        onDone({ serial: r.recorder.serial, credential: r.credential });
        return t('common.saved');
      }}
    >
      <Form.Item
        name="serial"
        label={t('registry.serial')}
        rules={[
          { required: true, message: t('login.required', { field: t('registry.serial') }) },
          { pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, message: t('registry.serial.rule') },
        ]}
      >
        <Input data-testid="register-serial" />
      </Form.Item>
      <Form.Item name="model" label={t('registry.model')} rules={[text]}>
        <Input data-testid="register-model" />
      </Form.Item>
      <Form.Item name="unit" label={t('registry.unit')} rules={[text]}>
        <Input data-testid="register-unit" />
      </Form.Item>
      <Form.Item name="custodian" label={t('registry.custodian')} rules={[text]}>
        <Input data-testid="register-custodian" />
      </Form.Item>
    </FormModal>
  );
}

/** The one showing of a credential; nothing keeps it after close (the gateway has only its hash). */
function CredentialModal({ issued, onClose }: { issued: Issued; onClose(): void }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(issued.credential);
      setCopied(true);
    } catch {
      // No clipboard (plain http on another host): the text is selectable.
      setCopied(false);
    }
  };
  return (
    <Modal
      open
      title={t('registry.credential.title', { serial: issued.serial })}
      closable={false}
      maskClosable={false}
      keyboard={false}
      footer={
        <Button type="primary" onClick={onClose} data-testid="credential-close">
          {t('registry.credential.done')}
        </Button>
      }
    >
      <Space direction="vertical" style={{ width: '100%' }}>
        <Alert
          type="warning"
          showIcon
          title={t('registry.credential.once')}
          data-testid="credential-warning"
        />
        <Typography.Paragraph
          code
          copyable={false}
          style={{ fontSize: 16, wordBreak: 'break-all', userSelect: 'all', margin: 0 }}
          data-testid="credential-value"
        >
          {issued.credential}
        </Typography.Paragraph>
        <Button icon={<CopyOutlined />} onClick={copy} data-testid="credential-copy">
          {copied ? t('registry.credential.copied') : t('registry.credential.copy')}
        </Button>
      </Space>
    </Modal>
  );
}
