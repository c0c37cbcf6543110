/** Signed-in layout: header (live status, language, user), role-based side navigation, the page. */
import {
  AlertOutlined,
  AuditOutlined,
  ClockCircleOutlined,
  DashboardOutlined,
  ExportOutlined,
  FolderOpenOutlined,
  LogoutOutlined,
  PlayCircleOutlined,
  UsbOutlined,
  VideoCameraAddOutlined,
  VideoCameraOutlined,
  WarningOutlined,
} from '@ant-design/icons';
import { Badge, Button, Layout, Menu, Result, Space, Spin, Tag, Tooltip, Typography } from 'antd';
import { lazy, type ReactNode, Suspense, useEffect, useMemo } from 'react';
import type { PublicUser } from './api/types.js';
import { AlertNotifier } from './components/AlertNotifier.js';
import { IntegrityBanner } from './components/IntegrityBanner.js';
import { LangSwitch } from './components/LangSwitch.js';
import { useI18n } from './i18n/index.js';
import { LiveProvider, LiveStream, useLiveConnected } from './live.js';
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
};

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
    default:
      return null;
  }
}

export function Shell({ user, onLogout }: { user: PublicUser; onLogout(): void }) {
  const stream = useMemo(() => new LiveStream(), []);
  useEffect(() => {
    stream.open();
    return () => stream.close();
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
  return (
    <Layout style={{ minHeight: '100%' }}>
      <Layout.Sider breakpoint="lg" collapsible theme="dark" width={200} collapsedWidth={72} trigger={null}>
        <div
          style={{
            color: '#fff',
            padding: '16px 12px',
            fontWeight: 600,
            whiteSpace: 'nowrap',
            overflow: 'hidden',
          }}
        >
          {t('app.short')}
        </div>
        <Menu
          theme="dark"
          mode="inline"
          selectedKeys={selected ? [selected.id] : []}
          onClick={(e) => navigate(nav.find((n) => n.id === e.key)!.path)}
          items={nav.map((n) => ({
            key: n.id,
            icon: ICONS[n.id],
            label: <span data-testid={`nav-${n.id}`}>{t(n.label)}</span>,
          }))}
        />
      </Layout.Sider>
      <Layout>
        <Layout.Header
          style={{
            background: '#fff',
            padding: '0 16px',
            display: 'flex',
            alignItems: 'center',
            gap: 12,
            borderBottom: '1px solid #f0f0f0',
          }}
        >
          <Typography.Text strong ellipsis style={{ flex: 1, fontSize: 16 }} data-testid="app-title">
            {t('app.title')}
          </Typography.Text>
          <LiveBadge />
          <LangSwitch />
          <Space size={4} wrap={false}>
            <Tooltip title={t('header.user', { name: user.displayName })}>
              <Typography.Text data-testid="current-user">{user.displayName}</Typography.Text>
            </Tooltip>
            {user.roles.map((r) => (
              <Tag key={r} color="blue" style={{ marginInlineEnd: 0 }} data-testid={`role-${r}`}>
                {t(`role.${r}`)}
              </Tag>
            ))}
          </Space>
          <Button icon={<LogoutOutlined />} type="text" onClick={onLogout} data-testid="logout">
            {t('header.logout')}
          </Button>
        </Layout.Header>
        <Layout.Content style={{ padding: 16, overflow: 'auto' }}>
          <IntegrityBanner user={user} />
          <Suspense fallback={<Spin />}>
            {page ?? (nav.length === 0 ? <Result status="403" title={t('nav.noPages')} /> : <Spin />)}
          </Suspense>
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

function LiveBadge() {
  const { t } = useI18n();
  const connected = useLiveConnected();
  return (
    <Tooltip title={connected ? t('common.live') : t('common.offlineStream')}>
      <Badge
        status={connected ? 'processing' : 'error'}
        text={connected ? t('common.live') : t('common.liveLost')}
        data-testid="live-status"
        data-connected={connected}
      />
    </Tooltip>
  );
}
