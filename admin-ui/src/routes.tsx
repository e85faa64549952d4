// The console's pages by path; the first pattern that matches wins.
import type { ReactNode } from 'react';
import { AuditPage } from './audit/AuditPage.js';
import { AccountPage } from './auth/AccountPage.js';
import { DeadLetterDetailPage } from './deadLetters/DeadLetterDetailPage.js';
import { DeadLettersPage } from './deadLetters/DeadLettersPage.js';
import { OverviewPage } from './overview/OverviewPage.js';
import { ProjectionsPage } from './projections/ProjectionsPage.js';
import { QueuesPage } from './queues/QueuesPage.js';
import { ReplayJobPage } from './replayJobs/ReplayJobPage.js';
import { ReplayJobsPage } from './replayJobs/ReplayJobsPage.js';
import { matchPath } from './router/match.js';
import { SagaDetailPage } from './sagas/SagaDetailPage.js';
import { SagasPage } from './sagas/SagasPage.js';
import { UsersPage } from './users/UsersPage.js';
import { TokensPage } from './tokens/TokensPage.js';

interface Route {
  readonly pattern: string;
  readonly title: string;
  render(params: Record<string, string>): ReactNode;
}

export const routes: readonly Route[] = [
  { pattern: '/', title: 'Overview', render: () => <OverviewPage /> },
  { pattern: '/dead-letters', title: 'Dead letters', render: () => <DeadLettersPage /> },
  {
    pattern: '/dead-letters/:id',
    title: 'Dead letter',
    render: (p) => <DeadLetterDetailPage key={p.id} id={p.id!} />,
  },
  { pattern: '/replay-jobs', title: 'Replay jobs', render: () => <ReplayJobsPage /> },
  {
    pattern: '/replay-jobs/:id',
    title: 'Replay job',
    render: (p) => <ReplayJobPage key={p.id} id={p.id!} />,
  },
  { pattern: '/sagas', title: 'Sagas', render: () => <SagasPage /> },
  { pattern: '/sagas/:id', title: 'Saga', render: (p) => <SagaDetailPage key={p.id} id={p.id!} /> },
  { pattern: '/queues', title: 'Queues', render: () => <QueuesPage /> },
  { pattern: '/projections', title: 'Projections', render: () => <ProjectionsPage /> },
  { pattern: '/audit', title: 'Audit log', render: () => <AuditPage /> },
  { pattern: '/users', title: 'Users', render: () => <UsersPage /> },
  { pattern: '/account', title: 'Your account', render: () => <AccountPage /> },
  { pattern: '/tokens', title: 'API tokens', render: () => <TokensPage /> },
];

/** The page for `pathname` and its title, or null when no route matches. */
export function resolveRoute(pathname: string): { title: string; element: ReactNode } | null {
  for (const route of routes) {
    const params = matchPath(route.pattern, pathname);
    if (params) return { title: route.title, element: route.render(params) };
  }
  return null;
}
