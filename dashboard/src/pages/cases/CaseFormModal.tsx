/** Register a case, or edit its descriptive fields (legal affairs; officers on their own cases). */
import { App, Form, Input, Modal, Select } from 'antd';
import { useState } from 'react';
import {
  CASE_STAGES,
  CASE_TYPES,
  type CaseRecord,
  type CaseStage,
  type CaseType,
  casesApi,
} from '../../api/cases.js';
import { useI18n } from '../../i18n/index.js';
import { useUser } from '../../user.js';
import { splitNames } from './labels.js';

interface Values {
  caseNo: string;
  type: CaseType;
  title: string;
  unit: string;
  officers: string;
  parties: string;
  stage: CaseStage;
}

export function CaseFormModal({
  existing,
  onClose,
}: {
  existing?: CaseRecord;
  onClose(saved: boolean): void;
}) {
  const { t, te } = useI18n();
  const { message } = App.useApp();
  const me = useUser();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const submit = async (v: Values) => {
    setBusy(true);
    try {
      const fields = {
        type: v.type,
        title: v.title.trim(),
        unit: v.unit.trim(),
        officers: splitNames(v.officers),
        parties: splitNames(v.parties),
      };
      if (existing) {
        await casesApi.update(existing.key, fields);
        message.success(t('cases.edit.ok'));
      } else {
        const c = await casesApi.create({ caseNo: v.caseNo.trim(), stage: v.stage, ...fields });
        message.success(t('cases.new.ok', { no: c.caseNo }));
      }
      onClose(true);
    } catch (e) {
      message.error(t('common.error', { msg: (e as Error).message }));
    } finally {
      setBusy(false);
    }
  };
  const required = (field: string) => [{ required: true, message: t('login.required', { field }) }];
  return (
    <Modal
      open
      title={existing ? `${t('cases.edit')} ${existing.caseNo}` : t('cases.new')}
      onCancel={() => onClose(false)}
      onOk={() => form.submit()}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      okButtonProps={{ loading: busy, id: 'case-submit' }}
      width={620}
    >
      <Form<Values>
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{
          caseNo: existing?.caseNo ?? '',
          type: existing?.type ?? 'penalty',
          title: existing?.title ?? '',
          unit: existing?.unit ?? '',
          officers: (existing?.officers ?? (me.roles.includes('officer') ? [me.username] : [])).join(', '),
          parties: (existing?.parties ?? []).join('、'),
          stage: 'application-acceptance',
        }}
      >
        <Form.Item name="caseNo" label={t('cases.caseNo')} rules={required(t('cases.caseNo'))}>
          <Input disabled={Boolean(existing)} maxLength={64} data-testid="case-no" />
        </Form.Item>
        <Form.Item name="type" label={t('cases.type')}>
          <Select options={CASE_TYPES.map((x) => ({ value: x, label: te('caseType', x) }))} />
        </Form.Item>
        <Form.Item name="title" label={t('cases.titleField')} rules={required(t('cases.titleField'))}>
          <Input maxLength={200} data-testid="case-title" />
        </Form.Item>
        <Form.Item name="unit" label={t('cases.unit')} rules={required(t('cases.unit'))}>
          <Input maxLength={64} data-testid="case-unit" />
        </Form.Item>
        <Form.Item name="officers" label={t('cases.officers')} extra={t('cases.officers.hint')}>
          <Input data-testid="case-officers" />
        </Form.Item>
        <Form.Item name="parties" label={t('cases.parties')} extra={t('cases.parties.hint')}>
          <Input data-testid="case-parties" />
        </Form.Item>
        {!existing && (
          <Form.Item name="stage" label={t('cases.stage')}>
            <Select options={CASE_STAGES.map((x) => ({ value: x, label: te('stage', x) }))} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}
