// The console: the sign-in gate, then the frame and the page the URL names.
import { useEffect } from 'react';
import { LoginPage } from './auth/LoginPage.js';
import { safeNext } from './auth/next.js';
import { SessionGate } from './auth/session.js';
import { Layout } from './Layout.js';
import { LiveUpdates } from './live/LiveUpdates.js';
import { resolveRoute } from './routes.js';
import { Link, useLocation, useNavigate, useSearchParams } from './router/router.js';
import { Empty, ErrorState, Loading } from './ui/states.js';

export function App() {
  return (
    <SessionGate>
      {({ status, error }) => {
        if (status === 'loading') return <Loading label="Opening the console…" />;
        if (status === 'error') {
          return (
            <main className="login" id="main">
              <ErrorState error={error} onRetry={() => window.location.reload()} />
            </main>
          );
        }
        return status === 'signed-out' ? <SignedOut /> : <SignedIn />;
      }}
    </SessionGate>
  );
}

/** Anyone signed out sees the login page; its URL remembers where they were going. */
function SignedOut() {
  const { pathname, search } = useLocation();
  const navigate = useNavigate();
  useEffect(() => {
    if (pathname !== '/login')
      navigate(`/login?next=${encodeURIComponent(pathname + search)}`, { replace: true });
  }, [pathname, search, navigate]);
  useTitle('Sign in');
  return <LoginPage />;
}

function SignedIn() {
  const { pathname } = useLocation();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  useEffect(() => {
    if (pathname === '/login') navigate(safeNext(params.get('next')), { replace: true });
  }, [pathname, params, navigate]);
  const route = resolveRoute(pathname);
  useTitle(route?.title ?? 'Not found');
  if (pathname === '/login') return <Loading />;
  return (
    <LiveUpdates>
      <Layout>
        {route ? (
          route.element
        ) : (
          <Empty title="No such page">
            Nothing lives at <code>{pathname}</code>. <Link to="/">Go to the overview</Link>.
          </Empty>
        )}
      </Layout>
    </LiveUpdates>
  );
}

function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Sagaport`;
  }, [title]);
}
