/** Request bodies shared by several routes. */
import { z } from 'zod';

export const LoginBody = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});
