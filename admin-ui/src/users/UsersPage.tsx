// Every console user: role, status, last sign-in; operators change roles, disable users and end sessions.
import { useQuery } from '@tanstack/react-query';
import { listUsers } from '../api/auth.js';
import { OperatorOnly, useAuth } from '../auth/session.js';
import { PageHeader } from '../Layout.js';
import { Link } from '../router/router.js';
import { Badge } from '../ui/badges.js';
import { formatTime } from '../ui/format.js';
import { QueryView } from '../ui/states.js';
import { NewUserForm } from './NewUserForm.js';
import { UserActions, usersKey } from './UserActions.js';

export function UsersPage() {
  const { user: me, canMutate } = useAuth();
  const users = useQuery({ queryKey: usersKey, queryFn: listUsers });
  return (
    <>
      <PageHeader
        title="Users"
        subtitle={
          canMutate
            ? 'Who can sign in to the console. Viewers read; operators also change things, accounts included.'
            : 'Who can sign in to the console. Only operators change accounts.'
        }
      />
      <OperatorOnly>
        <NewUserForm />
      </OperatorOnly>
      <QueryView query={users} loadingLabel="Loading users…">
        {(items) => (
          <div className="table-wrap">
            <table className="table">
              <caption className="sr-only">Console users, by email</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last sign-in</th>
                  {canMutate ? <th scope="col">Actions</th> : null}
                </tr>
              </thead>
              <tbody>
                {items.map((user) => (
                  <tr key={user.id}>
                    <td>{user.name}</td>
                    <td>{user.email}</td>
                    <td>
                      <Badge tone={user.role === 'operator' ? 'info' : 'neutral'}>{user.role}</Badge>
                    </td>
                    <td>
                      {user.disabledAt ? (
                        <Badge tone="danger">disabled</Badge>
                      ) : (
                        <Badge tone="success">active</Badge>
                      )}
                    </td>
                    <td className="nowrap">{formatTime(user.lastLoginAt)}</td>
                    {canMutate ? (
                      <td>
                        {user.id === me.id ? (
                          <Link to="/account">Your account</Link>
                        ) : (
                          <UserActions user={user} />
                        )}
                      </td>
                    ) : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </>
  );
}
