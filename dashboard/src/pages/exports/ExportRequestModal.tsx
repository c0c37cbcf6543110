/**
 * Asks for an evidence disc of the selected clips (R23): case, purpose, recipient (R24 names who
 * may retrieve), a retrieval by an outside body with who asked and on what basis, sensitivity
 * (R25). The principal decides on the exports page. A referral (R28) names an interruption instead:
 * the disc takes every clip of its recording and goes to public security by default.
 */
import { Checkbox, Form, Input, Modal, Radio, Select, Typography } from 'antd';
import { api } from '../../api/client.js';
import type {
  ClipView,
  ExportRequestInput,
  ExportView,
  RecipientKind,
  Sensitivity,
} from '../../api/types.js';
import { useI18n } from '../../i18n/index.js';
import { useAction } from '../../useAction.js';

const RECIPIENTS: readonly RecipientKind[] = [
  'court',
  'procuratorate',
  'discipline',
  'superior',
  'public-security',
  'party',
  'other',
];
const SENSITIVITIES: readonly Sensitivity[] = ['normal', 'confidential', 'secret'];

interface RequestForm {
  caseNo: string;
  purpose: string;
  recipientKind: RecipientKind;
  recipientName: string;
  outside: boolean;
  outsideBy?: string;
  outsideBasis?: string;
  sensitivity: Sensitivity;
}

export function ExportRequestModal({
  clips,
  referral,
  onClose,
  onDone,
}: {
  clips: ClipView[];
  /** R28: refer an obstruction; the disc holds every clip of the interruption's recording. */
  referral?: { interruptionId: string; caseNo?: string | null };
  onClose(): void;
  onDone(v: ExportView): void;
}) {
  const { t, te } = useI18n();
  const [form] = Form.useForm<RequestForm>();
  const outside = Form.useWatch('outside', form);
  const { busy, run } = useAction();
  const cases = referral?.caseNo
    ? [referral.caseNo]
    : [...new Set(clips.map((c) => c.caseNo).filter(Boolean))];
  const need = (field: string) => [
    { required: true, whitespace: true, message: t('exports.request.required', { field }) },
  ];
  const submit = async (v: RequestForm) => {
    const body: ExportRequestInput = {
      clipIds: clips.map((c) => c.clipId),
      ...(referral ? { interruptionIds: [referral.interruptionId] } : {}),
      caseNo: v.caseNo.trim(),
      purpose: v.purpose.trim(),
      recipient: { kind: v.recipientKind, name: v.recipientName.trim() },
      sensitivity: v.sensitivity,
      ...(v.outside && v.outsideBy && v.outsideBasis
        ? { outsideRequest: { requestedBy: v.outsideBy.trim(), basis: v.outsideBasis.trim() } }
        : {}),
    };
    await run(async () => {
      onDone(await api.requestExport(body));
      return t('exports.request.ok');
    });
  };
  return (
    <Modal
      open
      width={640}
      title={referral ? t('exports.referral.title') : t('exports.request.title', { n: clips.length })}
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, id: 'export-request-submit' }}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('exports.request.hint')}</Typography.Paragraph>
      <Form<RequestForm>
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{
          caseNo: cases.length === 1 ? cases[0] : '',
          recipientKind: referral ? 'public-security' : 'court',
          ...(referral ? { purpose: t('exports.referral.purpose') } : {}),
          sensitivity: 'normal',
          outside: false,
        }}
      >
        <Form.Item name="caseNo" label={t('exports.caseNo')} rules={need(t('exports.caseNo'))}>
          <Input maxLength={64} data-testid="export-case" />
        </Form.Item>
        <Form.Item name="purpose" label={t('exports.purpose')} rules={need(t('exports.purpose'))}>
          <Input.TextArea rows={2} maxLength={500} data-testid="export-purpose" />
        </Form.Item>
        <Form.Item label={t('exports.recipient')} required style={{ marginBottom: 0 }}>
          <div style={{ display: 'flex', gap: 8 }}>
            <Form.Item name="recipientKind" style={{ width: 180 }}>
              <Select
                data-testid="export-recipient-kind"
                options={RECIPIENTS.map((k) => ({ value: k, label: te('exports.recipient', k) }))}
              />
            </Form.Item>
            <Form.Item
              name="recipientName"
              style={{ flex: 1 }}
              rules={need(t('exports.request.recipientName'))}
            >
              <Input
                placeholder={t('exports.request.recipientName')}
                maxLength={200}
                data-testid="export-recipient-name"
              />
            </Form.Item>
          </div>
        </Form.Item>
        <Form.Item name="outside" valuePropName="checked">
          <Checkbox data-testid="export-outside">{t('exports.request.outside')}</Checkbox>
        </Form.Item>
        {outside && (
          <>
            <Form.Item name="outsideBy" label={t('exports.outside.by')} rules={need(t('exports.outside.by'))}>
              <Input maxLength={200} data-testid="export-outside-by" />
            </Form.Item>
            <Form.Item
              name="outsideBasis"
              label={t('exports.outside.basis')}
              rules={need(t('exports.outside.basis'))}
            >
              <Input maxLength={500} data-testid="export-outside-basis" />
            </Form.Item>
          </>
        )}
        <Form.Item name="sensitivity" label={t('exports.sensitivity')}>
          <Radio.Group
            options={SENSITIVITIES.map((s) => ({ value: s, label: te('exports.sensitivity', s) }))}
            optionType="button"
          />
        </Form.Item>
      </Form>
    </Modal>
  );
}
