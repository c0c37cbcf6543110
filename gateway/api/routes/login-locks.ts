/** Login locks: legal affairs, who administer access rights (R24), see and lift them; each unlock is audited. */
import { z } from 'zod';
import { GatewayError } from '../../errors.js';
import type { Role } from '../../roles.js';
import { Username } from '../../users.js';
import type { LoginGuard } from '../login-guard.js';
import type { Api } from '../server.js';

export const LOCK_ADMINS: readonly Role[] = ['legal-affairs'];

const UnlockBody = z
  .object({ username: Username.optional(), address: z.ipv4().or(z.ipv6()).optional() })
  .refine((b) => b.username !== undefined || b.address !== undefined, 'give username or address');

export function loginLockRoutes(api: Api, guard: LoginGuard): void {
  api.route({ method: 'get', path: '/api/login-locks', roles: LOCK_ADMINS }, () => guard.locks());
  api.route(
    { method: 'post', path: '/api/login-locks/unlock', roles: LOCK_ADMINS, body: UnlockBody },
    async ({ body, user }) => {
      const actor = user.username;
      const account = body.username ? await guard.unlockAccount(body.username, actor) : false;
      const address = body.address ? await guard.unlockAddress(body.address, actor) : false;
      if (!account && !address) throw new GatewayError('NOT_FOUND', 'no such lock');
      return { account, address };
    },
  );
}
