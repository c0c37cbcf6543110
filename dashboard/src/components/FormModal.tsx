/**
 * A dialog holding one form: OK submits it, the call runs through useAction (busy, the success
 * message, the error in the reader's language); `onSubmit` resolves to the success message.
 */
import { Form, Modal } from 'antd';
import type { ReactNode } from 'react';
import { useI18n } from '../i18n/index.js';
import { useAction } from '../useAction.js';

export function FormModal<T extends object>({
  title,
  onClose,
  onSubmit,
  initialValues,
  okTestId,
  children,
}: {
  title: ReactNode;
  onClose(): void;
  onSubmit(values: T): Promise<string>;
  initialValues?: Partial<T>;
  okTestId: string;
  children: ReactNode;
}) {
  const { t } = useI18n();
  const [form] = Form.useForm<T>();
  const { busy, run } = useAction();
  return (
    <Modal
      open
      title={title}
      onCancel={onClose}
      onOk={() => form.submit()}
      okButtonProps={{ loading: busy, 'data-testid': okTestId }}
      cancelText={t('common.cancel')}
      okText={t('common.save')}
    >
      <Form<T>
        form={form}
        layout="vertical"
        onFinish={(v) => run(() => onSubmit(v))}
        initialValues={initialValues}
      >
        {children}
      </Form>
    </Modal>
  );
}
