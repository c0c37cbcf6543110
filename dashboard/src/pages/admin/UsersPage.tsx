/**
 * Accounts: legal affairs set access rights (R24), so they list, add, disable, reset passwords and
 * change roles here; the gateway audits each change (`user-admin`) and keeps the last
 * administering account from being disabled.
 */
import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Checkbox, Form, Input, Popconfirm, Space, Table, Tag } from 'antd';
import { useState } from 'react';
import { api } from '../../api/client.js';
import type { PublicUser, Role } from '../../api/types.js';
import { ApiErrorView } from '../../components/ApiErrorView.js';
import { FormModal } from '../../components/FormModal.js';
import { NewPasswordFields } from '../../components/NewPasswordFields.js';
import { useI18n } from '../../i18n/index.js';
import { fmtTime } from '../../time.js';
import { useAction } from '../../useAction.js';
import { useApi } from '../../useApi.js';
import { useUser } from '../../user.js';

/** Every role; the check below fails the typecheck when gateway/roles.ts adds one. */
export const ROLES = [
  'equipment-manager',
  'officer',
  'hearing-staff',
  'legal-affairs',
  'principal',
  'auditor',
  'provincial',
] as const satisfies readonly Role[];
/** Accounts of this office: the provincial role signs in to `gateway central` only (gateway/roles.ts). */
const OFFICE_ROLES = ROLES.filter((r) => r !== 'provincial');
type MissingRole = Exclude<Role, (typeof ROLES)[number]>;
const allRoles: [MissingRole] extends [never] ? true : MissingRole = true;
void allRoles;

type Editing = { kind: 'add' } | { kind: 'roles' | 'password'; user: PublicUser };

export default function UsersPage() {
  const { t } = useI18n();
  const me = useUser();
  const q = useApi(() => api.users(), []);
  const [editing, setEditing] = useState<Editing | null>(null);
  const { busy, run } = useAction();
  const done = () => {
    setEditing(null);
    q.reload();
  };
  return (
    <Card
      title={t('users.title')}
      extra={
        <Button
          type="primary"
          icon={<PlusOutlined />}
          onClick={() => setEditing({ kind: 'add' })}
          data-testid="user-add"
        >
          {t('users.add')}
        </Button>
      }
    >
      <ApiErrorView error={q.error} api="GET /api/users" />
      <Table<PublicUser>
        rowKey="username"
        size="middle"
        loading={q.loading && !q.data}
        dataSource={q.data ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        scroll={{ x: 880 }}
        onRow={(u) => ({ 'data-testid': `user-row-${u.username}` }) as React.HTMLAttributes<HTMLElement>}
        columns={[
          {
            title: t('users.username'),
            dataIndex: 'username',
            width: 150,
            render: (v: string) => (v === me.username ? `${v}${t('users.self')}` : v),
          },
          { title: t('users.displayName'), dataIndex: 'displayName', width: 140 },
          {
            title: t('users.roles'),
            dataIndex: 'roles',
            render: (roles: Role[]) => (
              <Space size={4} wrap>
                {roles.map((r) => (
                  <Tag key={r} color="blue">
                    {t(`role.${r}`)}
                  </Tag>
                ))}
              </Space>
            ),
          },
          {
            title: t('users.status'),
            dataIndex: 'disabled',
            width: 90,
            render: (d?: boolean) =>
              d ? (
                <Tag color="default">{t('users.disabled')}</Tag>
              ) : (
                <Tag color="green">{t('users.enabled')}</Tag>
              ),
          },
          {
            title: t('users.createdAt'),
            dataIndex: 'createdAt',
            width: 170,
            render: (v: string) => fmtTime(v, 'YYYY-MM-DD HH:mm'),
          },
          {
            title: t('common.actions'),
            key: 'actions',
            width: 250,
            render: (_, u) => (
              <Space size={4} wrap>
                <Button
                  size="small"
                  onClick={() => setEditing({ kind: 'roles', user: u })}
                  data-testid={`user-roles-${u.username}`}
                >
                  {t('users.changeRoles')}
                </Button>
                <Button
                  size="small"
                  onClick={() => setEditing({ kind: 'password', user: u })}
                  data-testid={`user-password-${u.username}`}
                >
                  {t('users.resetPassword')}
                </Button>
                {u.disabled ? (
                  <Button
                    size="small"
                    loading={busy}
                    onClick={() =>
                      run(async () => {
                        await api.setUserDisabled(u.username, false);
                        q.reload();
                        return t('users.saved', { name: u.displayName });
                      })
                    }
                    data-testid={`user-enable-${u.username}`}
                  >
                    {t('users.enable')}
                  </Button>
                ) : (
                  <Popconfirm
                    title={t('users.disable.confirm', { name: u.displayName })}
                    okText={t('users.disable')}
                    cancelText={t('common.cancel')}
                    okButtonProps={{ danger: true, 'data-testid': 'user-disable-ok' }}
                    onConfirm={() =>
                      run(async () => {
                        await api.setUserDisabled(u.username, true);
                        q.reload();
                        return t('users.saved', { name: u.displayName });
                      })
                    }
                  >
                    <Button size="small" danger data-testid={`user-disable-${u.username}`}>
                      {t('users.disable')}
                    </Button>
                  </Popconfirm>
                )}
              </Space>
            ),
          },
        ]}
      />
      {editing?.kind === 'add' && <AddUserModal onClose={() => setEditing(null)} onDone={done} />}
      {editing?.kind === 'roles' && (
        <RolesModal user={editing.user} onClose={() => setEditing(null)} onDone={done} />
      )}
      {editing?.kind === 'password' && (
        <ResetPasswordModal user={editing.user} onClose={() => setEditing(null)} onDone={done} />
      )}
    </Card>
  );
}

interface ModalProps {
  onClose(): void;
  onDone(): void;
}

/** Form.Item hands its value and onChange to its child: passed through to the group. */
function RoleChecks(props: { value?: Role[]; onChange?(v: Role[]): void }) {
  const { t } = useI18n();
  return (
    <Checkbox.Group
      {...props}
      options={OFFICE_ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))}
      data-testid="user-roles-field"
    />
  );
}

function AddUserModal({ onClose, onDone }: ModalProps) {
  const { t } = useI18n();
  return (
    <FormModal<{ username: string; displayName: string; roles: Role[]; password: string }>
      title={t('users.add')}
      onClose={onClose}
      okTestId="user-form-ok"
      initialValues={{ roles: ['officer'] }}
      onSubmit={async (v) => {
        const u = await api.addUser({
          username: v.username.trim(),
          displayName: v.displayName.trim(),
          roles: v.roles,
          password: v.password,
        });
        onDone();
        return t('users.added', { name: u.displayName });
      }}
    >
      <Form.Item
        name="username"
        label={t('users.username')}
        extra={t('users.username.rule')}
        rules={[
          { required: true, pattern: /^[a-z0-9][a-z0-9._-]{1,31}$/, message: t('users.username.rule') },
        ]}
      >
        <Input autoComplete="off" data-testid="user-form-username" />
      </Form.Item>
      <Form.Item
        name="displayName"
        label={t('users.displayName')}
        rules={[{ required: true, whitespace: true, max: 64 }]}
      >
        <Input data-testid="user-form-name" />
      </Form.Item>
      <Form.Item name="roles" label={t('users.roles')} rules={[{ required: true, type: 'array', min: 1 }]}>
        <RoleChecks />
      </Form.Item>
      <NewPasswordFields />
    </FormModal>
  );
}

function RolesModal({ user, onClose, onDone }: ModalProps & { user: PublicUser }) {
  const { t } = useI18n();
  return (
    <FormModal<{ roles: Role[] }>
      title={`${t('users.changeRoles')} · ${user.displayName}`}
      onClose={onClose}
      okTestId="user-form-ok"
      initialValues={{ roles: user.roles }}
      onSubmit={async (v) => {
        await api.setUserRoles(user.username, v.roles);
        onDone();
        return t('users.saved', { name: user.displayName });
      }}
    >
      <Form.Item name="roles" label={t('users.roles')} rules={[{ required: true, type: 'array', min: 1 }]}>
        <RoleChecks />
      </Form.Item>
    </FormModal>
  );
}

function ResetPasswordModal({ user, onClose, onDone }: ModalProps & { user: PublicUser }) {
  const { t } = useI18n();
  return (
    <FormModal<{ password: string }>
      title={t('users.resetPassword.title', { name: user.displayName })}
      onClose={onClose}
      okTestId="user-form-ok"
      onSubmit={async (v) => {
        await api.resetUserPassword(user.username, v.password);
        onDone();
        return t('users.passwordSet', { name: user.displayName });
      }}
    >
      <NewPasswordFields />
    </FormModal>
  );
}
