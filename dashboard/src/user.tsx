import { createContext, useContext } from 'react';
import type { PublicUser } from './api/types.js';

export const UserContext = createContext<PublicUser | null>(null);

export function useUser(): PublicUser {
  const u = useContext(UserContext);
  if (!u) throw new Error('useUser outside the signed-in shell');
  return u;
}
