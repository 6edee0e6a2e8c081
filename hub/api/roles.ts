/** Accounts and what they may see. Roles are checked on the server for every route. */
export type Role = 'owner' | 'installer' | 'police' | 'advocate';
export const ROLES: readonly Role[] = ['owner', 'installer', 'police', 'advocate'];

export interface SessionUser {
  id: string;
  username: string;
  role: Role;
  displayName: string;
}
