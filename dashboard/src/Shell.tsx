/** Signed-in layout: header (live status, language, user), role-based side navigation, the page. */
import {
  AlertOutlined,
  AuditOutlined,
  CameraOutlined,
  ClockCircleOutlined,
  DashboardOutlined,
  ExportOutlined,
  FolderOpenOutlined,
  GlobalOutlined,
  KeyOutlined,
  LogoutOutlined,
  MenuFoldOutlined,
  MenuUnfoldOutlined,
  PlayCircleOutlined,
  SafetyCertificateOutlined,
  TeamOutlined,
  UsbOutlined,
  VideoCameraAddOutlined,
  VideoCameraOutlined,
  WarningOutlined,
} from '@ant-design/icons';
import {
  Alert,
  Badge,
  Button,
  Grid,
  Layout,
  Menu,
  Result,
  Space,
  Spin,
  Tag,
  Tooltip,
  Typography,
} from 'antd';
import { lazy, type ReactNode, Suspense, useEffect, useMemo, useState } from 'react';
import { api } from './api/client.js';
import type { PublicUser } from './api/types.js';
import { AlertNotifier } from './components/AlertNotifier.js';
import { IntegrityBanner } from './components/IntegrityBanner.js';
import { LangSwitch } from './components/LangSwitch.js';
import { OwnPasswordModal } from './components/OwnPasswordModal.js';
import { useI18n } from './i18n/index.js';
import { LiveProvider, LiveStream, useConnectionLost, useLiveConnected } from './live.js';
import { type NavItem, navFor, type PageId } from './nav.js';
import { matchPath, navigate, usePath } from './router.js';
import { UserContext } from './user.js';

const SummaryPage = lazy(() => import('./pages/summary/SummaryPage.js'));
const FleetPage = lazy(() => import('./pages/manager/FleetPage.js'));
const RecorderPage = lazy(() => import('./pages/manager/RecorderPage.js'));
const AlertsPage = lazy(() => import('./pages/manager/AlertsPage.js'));
const DockPage = lazy(() => import('./pages/officer/DockPage.js'));
const HearingsPage = lazy(() => import('./pages/hearing/HearingsPage.js'));
const InterruptionsPage = lazy(() => import('./pages/legal/InterruptionsPage.js'));
const OverduePage = lazy(() => import('./pages/legal/OverduePage.js'));
const AuditPage = lazy(() => import('./pages/legal/AuditPage.js'));
const ClipsPage = lazy(() => import('./pages/legal/ClipsPage.js'));
const ExportsPage = lazy(() => import('./pages/exports/ExportsPage.js'));
const CasesPage = lazy(() => import('./pages/cases/CasesPage.js'));
const CasePage = lazy(() => import('./pages/cases/CasePage.js'));
const MyRecordingsPage = lazy(() => import('./pages/cases/MyRecordingsPage.js'));
const UsersPage = lazy(() => import('./pages/admin/UsersPage.js'));
const RegistryPage = lazy(() => import('./pages/manager/RegistryPage.js'));
const CamerasPage = lazy(() => import('./pages/manager/CamerasPage.js'));
const ProvincePage = lazy(() => import('./pages/province/ProvincePage.js'));

const ICONS: Record<PageId, ReactNode> = {
  fleet: <DashboardOutlined />,
  alerts: <AlertOutlined />,
  summary: <DashboardOutlined />,
  dock: <UsbOutlined />,
  hearings: <VideoCameraOutlined />,
  interruptions: <WarningOutlined />,
  overdue: <ClockCircleOutlined />,
  clips: <PlayCircleOutlined />,
  audit: <AuditOutlined />,
  exports: <ExportOutlined />,
  cases: <FolderOpenOutlined />,
  mine: <VideoCameraAddOutlined />,
  users: <TeamOutlined />,
  registry: <SafetyCertificateOutlined />,
  cameras: <CameraOutlined />,
  province: <GlobalOutlined />,
};

const NAME_STYLE = {
  display: 'inline-block',
  maxWidth: 140,
  overflow: 'hidden',
  textOverflow: 'ellipsis',
  whiteSpace: 'nowrap',
  verticalAlign: 'middle',
  lineHeight: 1.5,
} as const;

function pageFor(path: string, nav: NavItem[]): ReactNode {
  const allowed = new Set(nav.map((n) => n.id));
  const r = matchPath('/recorders/:serial', path);
  if (r && allowed.has('fleet')) return <RecorderPage serial={r.serial!} />;
  const c = matchPath('/cases/:key', path);
  if (c && allowed.has('cases')) return <CasePage caseKey={c.key!} />;
  const item = nav.find((n) => n.path === path);
  switch (item?.id) {
    case 'summary':
      return <SummaryPage />;
    case 'fleet':
      return <FleetPage />;
    case 'alerts':
      return <AlertsPage />;
    case 'dock':
      return <DockPage />;
    case 'hearings':
      return <HearingsPage />;
    case 'interruptions':
      return <InterruptionsPage />;
    case 'overdue':
      return <OverduePage />;
    case 'audit':
      return <AuditPage />;
    case 'clips':
      return <ClipsPage />;
    case 'exports':
      return <ExportsPage />;
    case 'cases':
      return <CasesPage />;
    case 'mine':
      return <MyRecordingsPage />;
    case 'users':
      return <UsersPage />;
    case 'registry':
      return <RegistryPage />;
    case 'cameras':
      return <CamerasPage />;
    case 'province':
      return <ProvincePage />;
    default:
      return null;
  }
}

export function Shell({ user, onLogout }: { user: PublicUser; onLogout(): void }) {
  const stream = useMemo(() => new LiveStream(), []);
  useEffect(() => {
    stream.open();
    // A lost stream may be an ended session (EventSource does not say which): asking /api/me gets a
    // 401 then, and the client sends the reader to the login page rather than leave stale figures.
    const probe = () => void api.me().catch(() => undefined);
    const off = stream.onLost(probe);
    // Coming back to a tab left open overnight: the session is asked for before the reader acts on
    // what the page still shows.
    const onVisible = () => document.visibilityState === 'visible' && probe();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      off();
      document.removeEventListener('visibilitychange', onVisible);
      stream.close();
    };
  }, [stream]);
  return (
    <UserContext.Provider value={user}>
      <LiveProvider stream={stream}>
        <ShellLayout user={user} onLogout={onLogout} />
        <AlertNotifier user={user} />
      </LiveProvider>
    </UserContext.Provider>
  );
}

function ShellLayout({ user, onLogout }: { user: PublicUser; onLogout(): void }) {
  const { t } = useI18n();
  const path = usePath();
  const nav = useMemo(() => navFor(user.roles), [user.roles]);
  const page = pageFor(path, nav);
  useEffect(() => {
    if (!page && nav[0]) navigate(nav[0].path, true);
  }, [page, nav]);
  const selected = nav.find(
    (n) =>
      path === n.path ||
      (n.id === 'fleet' && path.startsWith('/recorders/')) ||
      (n.id === 'cases' && path.startsWith('/cases/')),
  );
  const screens = Grid.useBreakpoint();
  // Below xl (1200 px: a 1024 tablet, a 1366 laptop with a side panel) the menu starts folded to
  // icons, below md it folds away entirely; the header's button opens and folds it at any width.
  const narrow = !screens.xl;
  const phone = screens.md === false;
  const [collapsed, setCollapsed] = useState(narrow);
  useEffect(() => setCollapsed(narrow), [narrow]);
  const [changingPassword, setChangingPassword] = useState(false);
  return (
    <Layout style={{ minHeight: '100%' }}>
      <Layout.Sider
        collapsible
        collapsed={collapsed}
        theme="dark"
        width={200}
        collapsedWidth={phone ? 0 : 64}
        trigger={null}
        data-testid="sider"
        data-collapsed={collapsed}
      >
        <div
          style={{
            color: '#fff',
            padding: '16px 12px',
            fontWeight: 600,
            whiteSpace: 'nowrap',
            overflow: 'hidden',
            textOverflow: 'ellipsis',
          }}
        >
          {collapsed ? '\u00a0' : t('app.short')}
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={selected ? [selected.id] : []}
          onClick={(e) => {
            navigate(nav.find((n) => n.id === e.key)!.path);
            if (phone) setCollapsed(true);
          }}
          items={nav.map((n) => ({
            key: n.id,
            icon: ICONS[n.id],
            label: <span data-testid={`nav-${n.id}`}>{t(n.label)}</span>,
          }))}
        />
      </Layout.Sider>
      <Layout style={{ minWidth: 0 }}>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 12px',
            display: 'flex',
            alignItems: 'center',
            gap: 8,
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          <Button
            type="text"
            icon={collapsed ? <MenuUnfoldOutlined /> : <MenuFoldOutlined />}
            onClick={() => setCollapsed((c) => !c)}
            aria-label={t('shell.menu')}
            data-testid="menu-toggle"
          />
          <Typography.Text
            strong
            ellipsis
            style={{ flex: 1, minWidth: 0, fontSize: 16 }}
            data-testid="app-title"
          >
            {t('app.title')}
          </Typography.Text>
          <LiveBadge />
          <LangSwitch />
          <Space size={4} wrap={false} align="center">
            <Tooltip title={t('header.user', { name: user.displayName })}>
              <span data-testid="current-user" style={NAME_STYLE}>
                {user.displayName}
              </span>
            </Tooltip>
            {!narrow &&
              user.roles.map((r) => (
                <Tag key={r} color="blue" style={{ marginInlineEnd: 0 }} data-testid={`role-${r}`}>
                  {t(`role.${r}`)}
                </Tag>
              ))}
          </Space>
          <Tooltip title={t('account.changePassword')}>
            <Button
              icon={<KeyOutlined />}
              type="text"
              onClick={() => setChangingPassword(true)}
              aria-label={t('account.changePassword')}
              data-testid="own-password"
            />
          </Tooltip>
          <Button icon={<LogoutOutlined />} type="text" onClick={onLogout} data-testid="logout">
            {narrow ? null : t('header.logout')}
          </Button>
        </Layout.Header>
        <Layout.Content style={{ padding: narrow ? 12 : 16, overflow: 'auto' }}>
          <ConnectionLost />
          <IntegrityBanner user={user} />
          <Suspense fallback={<Spin />}>
            {page ?? (nav.length === 0 ? <Result status="403" title={t('nav.noPages')} /> : <Spin />)}
          </Suspense>
        </Layout.Content>
      </Layout>
      {changingPassword && <OwnPasswordModal onClose={() => setChangingPassword(false)} />}
    </Layout>
  );
}

/** While the gateway cannot be reached, pages say their figures may be stale (they keep the last ones). */
function ConnectionLost() {
  const { t } = useI18n();
  if (!useConnectionLost()) return null;
  return (
    <Alert
      type="error"
      showIcon
      banner
      title={t('conn.lost.desc')}
      style={{ marginBottom: 12 }}
      data-testid="connection-lost"
    />
  );
}

function LiveBadge() {
  const { t } = useI18n();
  const connected = useLiveConnected();
  const lost = useConnectionLost();
  return (
    <Tooltip title={connected ? t('common.live') : t('common.offlineStream')}>
      <Badge
        status={connected ? 'processing' : lost ? 'error' : 'default'}
        text={connected ? t('common.live') : lost ? t('common.liveLost') : t('conn.connecting')}
        data-testid="live-status"
        data-connected={connected}
      />
    </Tooltip>
  );
}
