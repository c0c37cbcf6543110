import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { api } from '../api/client.js';
import { ApiError } from '../api/errors.js';
import { errorText } from '../api/errorText.js';
import type { PublicUser } from '../api/types.js';
import { LangSwitch } from '../components/LangSwitch.js';
import { useI18n } from '../i18n/index.js';

export function LoginPage({ onLogin, expired }: { onLogin(user: PublicUser): void; expired?: boolean }) {
  const { t } = useI18n();
  const [failed, setFailed] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (v: { username: string; password: string }) => {
    setBusy(true);
    setFailed(null);
    try {
      const r = await api.login(v.username.trim(), v.password);
      onLogin(r.user);
    } catch (e) {
      // Locked, throttled or unreachable say so; a refused login says only that (no account probing).
      setFailed(e instanceof ApiError && e.status === 401 ? t('login.failed') : errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div
      style={{ minHeight: '100%', display: 'grid', placeItems: 'center', background: '#eef2f8', padding: 16 }}
    >
      <Card style={{ width: 380, maxWidth: '100%' }}>
        <div style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
          <Typography.Title level={4} style={{ margin: 0 }}>
            {t('app.title')}
          </Typography.Title>
          <LangSwitch />
        </div>
        <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>
          {t('login.title')}
        </Typography.Paragraph>
        {expired && !failed && (
          <Alert
            type="warning"
            showIcon
            title={t('session.expired')}
            style={{ marginBottom: 16 }}
            data-testid="session-expired"
          />
        )}
        {failed && (
          <Alert
            type="error"
            showIcon
            title={failed}
            style={{ marginBottom: 16 }}
            data-testid="login-error"
          />
        )}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item
            name="username"
            label={t('login.username')}
            rules={[{ required: true, message: t('login.required', { field: t('login.username') }) }]}
          >
            <Input
              prefix={<UserOutlined />}
              size="large"
              autoComplete="username"
              data-testid="login-username"
            />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('login.password')}
            rules={[{ required: true, message: t('login.required', { field: t('login.password') }) }]}
          >
            <Input.Password
              prefix={<LockOutlined />}
              size="large"
              autoComplete="current-password"
              data-testid="login-password"
            />
          </Form.Item>
          <Button
            type="primary"
            htmlType="submit"
            size="large"
            block
            loading={busy}
            data-testid="login-submit"
          >
            {t('login.submit')}
          </Button>
        </Form>
      </Card>
    </div>
  );
}
