/**
 * Accounts in the dashboard. R24: access to recordings is limited by duty, post and authority, and
 * the legal-affairs office sets those access rights (REQUIREMENTS "Who uses it") — so legal
 * affairs, and only they, add accounts, disable them, reset passwords and change roles (the same
 * role that lifts login locks). Everyone changes their own password. Each change is a `user-admin`
 * audit entry naming who made it; no password or hash is ever in a response or an entry.
 */
import { getCookie } from 'hono/cookie';
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import { Role, SUPERVISORS } from '../../roles.js';
import { MAX_PASSWORD, type PublicUser, Username, type UserStore } from '../../users.js';
import { type Api, SESSION_COOKIE } from '../server.js';

export const USER_ADMINS: readonly Role[] = ['legal-affairs'];

const Password = z.string().min(1).max(MAX_PASSWORD);
const Roles = z.array(Role).min(1).max(Role.options.length);
const AddBody = z.object({
  username: Username,
  displayName: z.string().trim().min(1).max(64),
  roles: Roles,
  password: Password,
});

/** Who reads the audit log (R24) sees whose names its actors are, nothing more of the accounts. */
export const NAME_READERS: readonly Role[] = SUPERVISORS;

export function userRoutes(api: Api, users: UserStore): void {
  api.route({ method: 'get', path: '/api/users', roles: USER_ADMINS }, () => users.list());
  api.route({ method: 'get', path: '/api/users/names', roles: NAME_READERS }, async () =>
    (await users.list()).map((u) => ({ username: u.username, displayName: u.displayName })),
  );
  api.route({ method: 'post', path: '/api/users', roles: USER_ADMINS, body: AddBody }, ({ body, user }) =>
    users.add(body, user.username),
  );
  api.route(
    {
      method: 'post',
      path: '/api/users/:username/disabled',
      roles: USER_ADMINS,
      body: z.object({ disabled: z.boolean() }),
    },
    async ({ body, user, params }) => {
      if (body.disabled) await keepAnAdmin(users, params.username ?? '', undefined);
      return users.setDisabled(params.username ?? '', body.disabled, user.username);
    },
  );
  api.route(
    {
      method: 'post',
      path: '/api/users/:username/roles',
      roles: USER_ADMINS,
      body: z.object({ roles: Roles }),
    },
    async ({ body, user, params }) => {
      await keepAnAdmin(users, params.username ?? '', body.roles);
      return users.setRoles(params.username ?? '', body.roles, user.username);
    },
  );
  api.route(
    {
      method: 'post',
      path: '/api/users/:username/password',
      roles: USER_ADMINS,
      body: z.object({ password: Password }),
    },
    ({ body, user, params }) => users.resetPassword(params.username ?? '', body.password, user.username),
  );
  api.route(
    {
      method: 'post',
      path: '/api/me/password',
      roles: 'any',
      body: z.object({ current: Password, password: Password }),
    },
    ({ body, user, c }) => {
      const bearer = c.req.header('authorization');
      // This session stays; the others end (someone else may hold one).
      const token = bearer?.startsWith('Bearer ') ? bearer.slice(7) : getCookie(c, SESSION_COOKIE);
      return users.changeOwnPassword(user.username, body.current, body.password, token);
    },
  );
}

/**
 * The office must keep someone who can administer accounts: the last enabled legal-affairs account
 * is not disabled nor stripped of the role (`roles` undefined = disabling).
 */
async function keepAnAdmin(users: UserStore, username: string, roles: Role[] | undefined): Promise<void> {
  const isAdmin = (u: PublicUser) => !u.disabled && u.roles.some((r) => USER_ADMINS.includes(r));
  const all = await users.list();
  const target = all.find((u) => u.username === username);
  if (!target || !isAdmin(target)) return;
  if (roles?.some((r) => USER_ADMINS.includes(r))) return;
  if (all.filter(isAdmin).length <= 1) {
    throw new GatewayError('CONFLICT', `${username} is the last account that administers accounts`);
  }
}
