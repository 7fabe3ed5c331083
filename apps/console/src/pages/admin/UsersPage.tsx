import { createUser, dataOf, deleteUser, listUsers, updateUser, type UpdateUserDtoWritable, type UserDto } from '@modelgate/sdk';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { FieldError, Form, Input, Label, SearchField, TextField } from 'react-aria-components';
import { type Role, useSession } from '../../session';
import { Empty, ErrorNotice, formatDate, Loading, FormActions } from '../../ui';
import { ActionDialog, ConfirmAction } from './ActionDialog';
import { Pager } from '../../ui';
import { isRole, RoleBadges, ROLES, RolesField } from './RolesField';
import { offsetOf, PAGE_SIZE, useUrlFilters } from './search-params';
import { PasswordField } from './Secrets';
import './admin.css';

/** What a change said it did, for the line under the heading (aria-live). */
type Say = (message: string) => void;

export function UsersPage() {
  const { client, me } = useSession();
  const queries = useQueryClient();
  const [params, update] = useUrlFilters();
  const q = params.get('q') ?? '';
  const roleParam = params.get('role');
  const role = isRole(roleParam) ? roleParam : undefined;
  const offset = offsetOf(params);
  const [search, setSearch] = useState(q);
  const [said, say] = useState('');

  // Search as the person types, a moment after they stop.
  useEffect(() => {
    if (search === q) return;
    const timer = setTimeout(() => update({ q: search.trim() }, { replace: true }), 250);
    return () => clearTimeout(timer);
  }, [search, q, update]);

  const users = useQuery({
    queryKey: ['admin', 'users', { q, role, offset }],
    queryFn: ({ signal }) =>
      dataOf(listUsers({ client: client.api, query: { q: q || undefined, role, limit: PAGE_SIZE, offset }, signal })),
    placeholderData: keepPreviousData,
  });

  /** Users and the audit log both change with every action here. */
  const changed: Say = (message) => {
    say(message);
    void queries.invalidateQueries({ queryKey: ['admin'] });
  };

  return (
    <section className="admin-page" aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title">Users</h1>
        <CreateUser onCreated={changed} />
      </div>
      <p className="admin-said" role="status">
        {said}
      </p>
      <div className="admin-filters">
        <SearchField className="field search" value={search} onChange={setSearch}>
          <Label>Search by email</Label>
          <Input placeholder="e.g. ada@" />
        </SearchField>
        <div className="field">
          <label htmlFor="users-role">Role</label>
          <select id="users-role" className="admin-select" value={role ?? ''} onChange={(e) => update({ role: e.target.value })}>
            <option value="">Any role</option>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </div>
      </div>

      {users.isPending ? (
        <Loading label="Loading the users" />
      ) : users.isError ? (
        <ErrorNotice error={users.error} title="Could not load the users" />
      ) : users.data.items.length === 0 ? (
        <Empty>{q || role ? <p>No user matches these filters.</p> : <p>There is no user yet.</p>}</Empty>
      ) : (
        <>
          <table className={`table admin-table${users.isPlaceholderData ? ' admin-stale' : ''}`} aria-busy={users.isPlaceholderData}>
            <caption className="visually-hidden">Users</caption>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Roles</th>
                <th scope="col">Status</th>
                <th scope="col">Approver</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id} className={u.disabled ? 'admin-row-off' : undefined}>
                  <th scope="row">
                    {u.email}
                    {u.id === me.id && <span className="muted small"> (you)</span>}
                  </th>
                  <td>
                    <RoleBadges roles={u.roles} />
                  </td>
                  <td>{u.disabled ? <span className="badge admin-off">disabled</span> : <span className="badge admin-on">active</span>}</td>
                  <td>{u.approver ? <span className="badge admin-on">approver</span> : <span className="muted">no</span>}</td>
                  <td>
                    <time dateTime={u.createdAt}>{formatDate(u.createdAt)}</time>
                  </td>
                  <td>
                    <div className="admin-row-actions" role="group" aria-label={`Actions for ${u.email}`}>
                      <ChangeRoles user={u} onDone={changed} />
                      <ResetPassword user={u} onDone={changed} />
                      <ToggleDisabled user={u} onDone={changed} />
                      <ToggleApprover user={u} onDone={changed} />
                      <DeleteUser user={u} onDone={changed} />
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            label="Pages of users"
            offset={offset}
            limit={PAGE_SIZE}
            total={users.data.page.total}
            onOffset={(next) => update({ offset: next ? String(next) : undefined })}
          />
        </>
      )}
    </section>
  );
}

function usePatchUser(user: UserDto) {
  const { client } = useSession();
  return (body: UpdateUserDtoWritable) => dataOf(updateUser({ client: client.api, path: { id: user.id }, body }));
}

function CreateUser({ onCreated }: { onCreated: Say }) {
  const { client } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [roles, setRoles] = useState<Role[]>(['consumer']);
  // The password is read from state, not passed as the mutation's variables (which the cache keeps).
  const create = useMutation({
    mutationFn: () => dataOf(createUser({ client: client.api, body: { email: email.trim(), password, roles } })),
    gcTime: 0,
  });
  return (
    <ActionDialog
      label="New user"
      triggerClassName="button button-primary"
      title="New user"
      onOpenChange={(open) => {
        if (!open) {
          create.reset();
          setEmail('');
          setPassword('');
          setRoles(['consumer']);
        }
      }}
    >
      {(close) => (
        <>
          {create.isError && <ErrorNotice error={create.error} title="Could not create the user" />}
          <Form
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate(undefined, {
                onSuccess: (user) => {
                  close();
                  onCreated(`Created ${user.email} (${user.roles.join(', ')}).`);
                },
              });
            }}
          >
            <TextField className="field" type="email" isRequired maxLength={254} value={email} onChange={setEmail} autoFocus>
              <Label>Email</Label>
              <Input autoComplete="off" />
              <FieldError />
            </TextField>
            <PasswordField label="Password" value={password} onChange={setPassword} />
            <RolesField value={roles} onChange={setRoles} />
            <FormActions onCancel={close} submit="Create user" pendingLabel="Creating…" pending={create.isPending} />
          </Form>
        </>
      )}
    </ActionDialog>
  );
}

function ChangeRoles({ user, onDone }: { user: UserDto; onDone: Say }) {
  const patch = usePatchUser(user);
  const [roles, setRoles] = useState<Role[]>(user.roles);
  const save = useMutation({ mutationFn: () => patch({ roles }) });
  return (
    <ActionDialog
      label="Roles"
      labelSuffix={`of ${user.email}`}
      triggerClassName="button admin-small"
      title={`Roles of ${user.email}`}
      onOpenChange={(open) => {
        save.reset();
        if (open) setRoles(user.roles);
      }}
    >
      {(close) => (
        <>
          <p>New roles apply at once: access tokens issued before stop working, and the next sign-in carries them.</p>
          {save.isError && <ErrorNotice error={save.error} title="The roles were not changed" />}
          <Form
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate(undefined, {
                onSuccess: (u) => {
                  close();
                  onDone(`${u.email} now has the roles ${u.roles.join(', ')}.`);
                },
              });
            }}
          >
            <RolesField value={roles} onChange={setRoles} autoFocus />
            <FormActions onCancel={close} submit="Save roles" pendingLabel="Saving…" pending={save.isPending} />
          </Form>
        </>
      )}
    </ActionDialog>
  );
}

function ResetPassword({ user, onDone }: { user: UserDto; onDone: Say }) {
  const patch = usePatchUser(user);
  const [password, setPassword] = useState('');
  const reset = useMutation({ mutationFn: () => patch({ password }), gcTime: 0 });
  return (
    <ActionDialog
      label="Reset password"
      labelSuffix={`of ${user.email}`}
      triggerClassName="button admin-small"
      title={`Reset the password of ${user.email}`}
      onOpenChange={() => {
        reset.reset();
        setPassword('');
      }}
    >
      {(close) => (
        <>
          <p>The new password replaces the old one at once, and every session of {user.email} ends.</p>
          {reset.isError && <ErrorNotice error={reset.error} title="The password was not reset" />}
          <Form
            onSubmit={(e) => {
              e.preventDefault();
              reset.mutate(undefined, {
                onSuccess: (u) => {
                  close();
                  onDone(`The password of ${u.email} was reset; their sessions have ended.`);
                },
              });
            }}
          >
            <PasswordField label="New password" value={password} onChange={setPassword} autoFocus />
            <FormActions onCancel={close} submit="Set password" pendingLabel="Saving…" pending={reset.isPending} />
          </Form>
        </>
      )}
    </ActionDialog>
  );
}

function ToggleDisabled({ user, onDone }: { user: UserDto; onDone: Say }) {
  const patch = usePatchUser(user);
  if (user.disabled) {
    return (
      <ConfirmAction
        label="Enable"
        labelSuffix={user.email}
        title={`Enable ${user.email}?`}
        confirmLabel="Enable user"
        failure="The user was not enabled"
        action={() => patch({ disabled: false })}
        onDone={() => onDone(`${user.email} is enabled and may sign in again.`)}
      >
        <p>They may sign in again with their password.</p>
      </ConfirmAction>
    );
  }
  return (
    <ConfirmAction
      label="Disable"
      labelSuffix={user.email}
      title={`Disable ${user.email}?`}
      confirmLabel="Disable user"
      danger
      failure="The user was not disabled"
      action={() => patch({ disabled: true })}
      onDone={() => onDone(`${user.email} is disabled.`)}
    >
      <p>They can no longer sign in, and every session and access token of theirs stops working at once. You can enable them again.</p>
    </ConfirmAction>
  );
}

/** Approvers decide promotion requests (admins always may); nobody decides their own. */
function ToggleApprover({ user, onDone }: { user: UserDto; onDone: Say }) {
  const patch = usePatchUser(user);
  if (user.approver) {
    return (
      <ConfirmAction
        label="Remove approver"
        labelSuffix={user.email}
        title={`Remove the approver flag of ${user.email}?`}
        confirmLabel="Remove approver"
        danger
        failure="The approver flag was not removed"
        action={() => patch({ approver: false })}
        onDone={() => onDone(`${user.email} is no longer an approver.`)}
      >
        <p>They can no longer approve or reject promotion requests (unless they are an admin).</p>
      </ConfirmAction>
    );
  }
  return (
    <ConfirmAction
      label="Make approver"
      labelSuffix={user.email}
      title={`Make ${user.email} an approver?`}
      confirmLabel="Make approver"
      failure="The approver flag was not set"
      action={() => patch({ approver: true })}
      onDone={() => onDone(`${user.email} is now an approver.`)}
    >
      <p>They may approve or reject requests to move versions to production, except their own.</p>
    </ConfirmAction>
  );
}

function DeleteUser({ user, onDone }: { user: UserDto; onDone: Say }) {
  const { client } = useSession();
  return (
    <ConfirmAction
      label="Delete"
      labelSuffix={user.email}
      title={`Delete ${user.email}?`}
      confirmLabel="Delete user"
      danger
      failure="The user was not deleted"
      action={() => dataOf(deleteUser({ client: client.api, path: { id: user.id } }))}
      onDone={() => onDone(`${user.email} was deleted.`)}
    >
      <p>
        Their account is removed and their tokens stop working at once. This cannot be undone; to keep the account but stop its use, disable
        it instead.
      </p>
    </ConfirmAction>
  );
}
