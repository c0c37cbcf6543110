/** Root: antd locale follows the language; sign-in gate; the shell with role-based navigation. */
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUSModule from 'antd/es/locale/en_US.js';
import zhCNModule from 'antd/es/locale/zh_CN.js';
import 'dayjs/locale/zh-cn.js';
import { useEffect, useState } from 'react';
import { api, onUnauthorized } from './api/client.js';
import type { PublicUser } from './api/types.js';
import { useI18n } from './i18n/index.js';
import { esmDefault } from './interop.js';
import { LoginPage } from './pages/LoginPage.js';
import { Shell } from './Shell.js';
import { dayjs } from './time.js';

const enUS = esmDefault(enUSModule);
const zhCN = esmDefault(zhCNModule);

export function App() {
  const { lang } = useI18n();
  useEffect(() => {
    dayjs.locale(lang === 'en' ? 'en' : 'zh-cn');
  }, [lang]);
  return (
    <ConfigProvider
      locale={lang === 'en' ? enUS : zhCN}
      theme={{ token: { colorPrimary: '#1f4e9c', borderRadius: 6 } }}
    >
      <AntApp style={{ height: '100%' }} notification={{ maxCount: 4 }}>
        <AuthGate />
      </AntApp>
    </ConfigProvider>
  );
}

function AuthGate() {
  // undefined = still asking the gateway whether the cookie is a live session.
  const [user, setUser] = useState<PublicUser | null | undefined>(undefined);
  // A session that ended under a signed-in reader (expired, idle, password reset elsewhere): the
  // login page says so, and nothing of the last pages stays on screen.
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    api.me().then(setUser, () => setUser(null));
    return onUnauthorized(() =>
      setUser((u) => {
        if (u) setExpired(true);
        return null;
      }),
    );
  }, []);
  if (user === undefined) {
    return (
      <div style={{ display: 'grid', placeItems: 'center', height: '100%' }}>
        <Spin size="large" />
      </div>
    );
  }
  if (!user) {
    return (
      <LoginPage
        expired={expired}
        onLogin={(u) => {
          setExpired(false);
          setUser(u);
        }}
      />
    );
  }
  return (
    <Shell
      user={user}
      onLogout={() => {
        api.logout().finally(() => setUser(null));
      }}
    />
  );
}
