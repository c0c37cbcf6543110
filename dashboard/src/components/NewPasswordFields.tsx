/** A new password typed twice, within the gateway's bounds (gateway/users.ts MIN_PASSWORD, MAX_PASSWORD). */
import { Form, Input } from 'antd';
import { useI18n } from '../i18n/index.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

export function NewPasswordFields() {
  const { t } = useI18n();
  return (
    <>
      <Form.Item
        name="password"
        label={t('users.password.new')}
        rules={[
          { required: true, message: t('login.required', { field: t('users.password.new') }) },
          { min: PASSWORD_MIN, message: t('users.password.min', { min: PASSWORD_MIN }) },
          {
            validator: (_, v?: string) =>
              !v || v.length <= PASSWORD_MAX
                ? Promise.resolve()
                : Promise.reject(
                    new Error(
                      t('form.tooLong', { field: t('users.password'), max: PASSWORD_MAX, n: v.length }),
                    ),
                  ),
          },
        ]}
      >
        <Input.Password autoComplete="new-password" data-testid="password-new" />
      </Form.Item>
      <Form.Item
        name="again"
        label={t('users.password.again')}
        dependencies={['password']}
        rules={[
          { required: true, message: t('login.required', { field: t('users.password.again') }) },
          ({ getFieldValue }) => ({
            validator: (_, v) =>
              !v || v === getFieldValue('password')
                ? Promise.resolve()
                : Promise.reject(new Error(t('users.password.mismatch'))),
          }),
        ]}
      >
        <Input.Password autoComplete="new-password" data-testid="password-again" />
      </Form.Item>
    </>
  );
}
