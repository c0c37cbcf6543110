/** Everyone changes their own password (the current one first); the gateway ends their other sessions. */
import { Form, Input } from 'antd';
import { api } from '../api/client.js';
import { useI18n } from '../i18n/index.js';
import { FormModal } from './FormModal.js';
import { NewPasswordFields } from './NewPasswordFields.js';

export function OwnPasswordModal({ onClose }: { onClose(): void }) {
  const { t } = useI18n();
  return (
    <FormModal<{ current: string; password: string }>
      title={t('account.changePassword')}
      onClose={onClose}
      okTestId="own-password-ok"
      onSubmit={async (v) => {
        await api.changeOwnPassword(v.current, v.password);
        onClose();
        return t('account.changed');
      }}
    >
      <Form.Item
        name="current"
        label={t('account.current')}
        rules={[{ required: true, message: t('login.required', { field: t('account.current') }) }]}
      >
        <Input.Password autoComplete="current-password" data-testid="password-current" />
      </Form.Item>
      <NewPasswordFields />
    </FormModal>
  );
}
