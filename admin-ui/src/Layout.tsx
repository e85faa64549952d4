// The console frame: skip link, navigation, the signed-in user and the page.
import { useEffect, useRef, type ReactNode } from 'react';
import { useAuth } from './auth/session.js';
import { Link, useLocation } from './router/router.js';
import { Badge } from './ui/badges.js';
import { ErrorBoundary } from './ui/ErrorBoundary.js';
import { LiveIndicator } from './live/LiveUpdates.js';
import { KeyboardShortcuts } from './keyboard/KeyboardHelp.js';

const sections = [
  { to: '/', label: 'Overview' },
  { to: '/dead-letters', label: 'Dead letters' },
  { to: '/replay-jobs', label: 'Replay jobs' },
  { to: '/sagas', label: 'Sagas' },
  { to: '/queues', label: 'Queues' },
  { to: '/projections', label: 'Projections' },
  { to: '/audit', label: 'Audit log' },
  { to: '/users', label: 'Users' },
  { to: '/tokens', label: 'API tokens' },
] as const;

/** The section a path belongs to: `/sagas/abc` is under Sagas. */
export function sectionOf(pathname: string): string {
  const match = sections
    .filter((s) => s.to !== '/')
    .find((s) => pathname === s.to || pathname.startsWith(`${s.to}/`));
  return match?.to ?? '/';
}

export function Layout({ children }: { children: ReactNode }) {
  const { user, signOut } = useAuth();
  const { pathname } = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    // After a navigation, move focus to the new page so keyboard and screen-reader users start there.
    if (first.current) first.current = false;
    else main.current?.focus();
  }, [pathname]);
  const active = sectionOf(pathname);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="sidebar">
        <Link to="/" className="brand">
          <span className="brand__mark" aria-hidden="true">
            S
          </span>
          Sagaport
        </Link>
        <nav aria-label="Sections">
          <ul className="nav">
            {sections.map((s) => (
              <li key={s.to}>
                <Link to={s.to} className="nav__link" aria-current={active === s.to ? 'page' : undefined}>
                  {s.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <LiveIndicator />
        <div className="user">
          <Link
            to="/account"
            className="user__email"
            title={user.email}
            aria-current={pathname === '/account' ? 'page' : undefined}
          >
            {user.name || user.email}
            <span className="sr-only"> (your account)</span>
          </Link>
          <Badge tone={user.role === 'operator' ? 'info' : 'neutral'}>{user.role}</Badge>
          <KeyboardShortcuts />
          <button type="button" className="btn btn--ghost btn--small" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main className="content" id="main" tabIndex={-1} ref={main}>
        <ErrorBoundary key={pathname}>{children}</ErrorBoundary>
      </main>
    </div>
  );
}

/** A page's heading row: title, subtitle and actions. */
export function PageHeader({
  title,
  subtitle,
  actions,
}: {
  title: ReactNode;
  subtitle?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p className="muted">{subtitle}</p> : null}
      </div>
      {actions ? <div className="page-header__actions">{actions}</div> : null}
    </div>
  );
}
