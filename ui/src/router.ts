/**
 * Path routing that keeps ONE browser history entry for the whole app: every move replaces the
 * current entry. So after a quick exit (which also replaces) the Back button leads to whatever
 * came before the app, never back into it.
 */
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set<(path: string) => void>();

export function currentPath(): string {
  return location.pathname || '/';
}

export function navigate(path: string): void {
  if (path === currentPath()) return;
  history.replaceState(null, '', path);
  for (const l of listeners) l(path);
  // Move focus to the new page's heading so keyboard and screen-reader users land on it.
  requestAnimationFrame(() => {
    const h = document.querySelector<HTMLElement>('main h1');
    h?.focus();
  });
}

export function useRoute(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    listeners.add(setPath);
    return () => {
      listeners.delete(setPath);
    };
  }, []);
  return path;
}
