import type { ApiKeyDto, CreatedApiKeyDto } from '@modelgate/sdk';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Checkbox, FieldError, Form, Input, Label, Text, TextField } from 'react-aria-components';
import { type Role, useSession } from '../../session';
import { Empty, ErrorNotice, formatDate, Loading, FormActions } from '../../ui';
import { ActionDialog, ConfirmAction } from './ActionDialog';
import { Pager } from '../../ui';
import { CheckMark, isRole, ROLES } from './RolesField';
import { offsetOf, PAGE_SIZE, useUrlFilters } from './search-params';
import { SecretField } from './Secrets';
import './admin.css';

export function ApiKeysPage() {
  const { client } = useSession();
  const queries = useQueryClient();
  const [params, update] = useUrlFilters();
  const includeRevoked = params.get('revoked') === 'true';
  const offset = offsetOf(params);
  const [said, say] = useState('');

  const keys = useQuery({
    queryKey: ['admin', 'api-keys', { includeRevoked, offset }],
    queryFn: ({ signal }) => client.apiKeys.list({ includeRevoked, limit: PAGE_SIZE, offset }, { signal }),
    placeholderData: keepPreviousData,
  });

  /** Keys and the audit log both change with every action here. */
  const changed = (message: string) => {
    say(message);
    void queries.invalidateQueries({ queryKey: ['admin'] });
  };

  return (
    <section className="admin-page" aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title">API keys</h1>
        <CreateApiKey onCreated={changed} />
      </div>
      <p className="muted">
        Each key is a service account: send it as <code>X-API-Key</code>, or exchange its client ID and secret for a token at{' '}
        <code>POST /v1/auth/token</code>.
      </p>
      <p className="admin-said" role="status">
        {said}
      </p>
      <Checkbox
        className="admin-checkbox admin-toggle"
        isSelected={includeRevoked}
        onChange={(on) => update({ revoked: on ? 'true' : undefined })}
      >
        {({ isSelected }) => (
          <>
            <CheckMark isSelected={isSelected} />
            Show revoked keys
          </>
        )}
      </Checkbox>

      {keys.isPending ? (
        <Loading label="Loading the API keys" />
      ) : keys.isError ? (
        <ErrorNotice error={keys.error} title="Could not load the API keys" />
      ) : keys.data.items.length === 0 ? (
        <Empty>
          <p>{includeRevoked ? 'No API key was ever created.' : 'No API key is active. Create one for a service that calls ModelGate.'}</p>
        </Empty>
      ) : (
        <>
          <table className={`table admin-table${keys.isPlaceholderData ? ' admin-stale' : ''}`} aria-busy={keys.isPlaceholderData}>
            <caption className="visually-hidden">API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Client ID</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.data.items.map((k) => (
                <tr key={k.id} className={k.revokedAt ? 'admin-row-off' : undefined}>
                  <th scope="row">
                    {k.name}
                    <div className="muted small">
                      <code>{k.keyPrefix}…</code> <KeyState apiKey={k} />
                    </div>
                  </th>
                  <td>
                    <span className={`badge admin-role admin-role-${k.role}`}>{k.role}</span>
                  </td>
                  <td>
                    <code className="admin-break">{k.clientId}</code>
                  </td>
                  <td>
                    <time dateTime={k.createdAt}>{formatDate(k.createdAt)}</time>
                  </td>
                  <td>{k.expiresAt ? <time dateTime={k.expiresAt}>{formatDate(k.expiresAt)}</time> : 'Never'}</td>
                  <td>{k.lastUsedAt ? <time dateTime={k.lastUsedAt}>{formatDate(k.lastUsedAt)}</time> : 'Never'}</td>
                  <td>
                    {!k.revokedAt && (
                      <ConfirmAction
                        label="Revoke"
                        labelSuffix={`the key ${k.name}`}
                        title={`Revoke the API key ${k.name}?`}
                        confirmLabel="Revoke key"
                        danger
                        failure="The key was not revoked"
                        action={() => client.apiKeys.revoke(k.id)}
                        onDone={() => changed(`The key ${k.name} was revoked.`)}
                      >
                        <p>
                          Every request with this key, or with a token issued to its client ID, is refused from now on. This cannot be
                          undone: the services using it need a new key.
                        </p>
                      </ConfirmAction>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            label="Pages of API keys"
            offset={offset}
            limit={PAGE_SIZE}
            total={keys.data.page.total}
            onOffset={(next) => update({ offset: next ? String(next) : undefined })}
          />
        </>
      )}
    </section>
  );
}

function KeyState({ apiKey: k }: { apiKey: ApiKeyDto }) {
  if (k.revokedAt) return <span className="badge admin-off">revoked {formatDate(k.revokedAt)}</span>;
  if (k.expiresAt && new Date(k.expiresAt).getTime() <= Date.now()) return <span className="badge admin-off">expired</span>;
  return null;
}

/** The end of the chosen day, local time, as the API's ISO instant. */
function endOfDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y, m - 1, d, 23, 59, 59, 999).toISOString();
}

function today(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}

function CreateApiKey({ onCreated }: { onCreated: (message: string) => void }) {
  const { client } = useSession();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('consumer');
  const [expires, setExpires] = useState('');
  // The answer holds the secrets: gcTime 0 drops it from the mutation cache as soon as the dialog
  // lets it go (reset on close), so it lives only while it is on the screen.
  const create = useMutation({
    mutationFn: () => client.apiKeys.create({ name: name.trim(), role, ...(expires ? { expiresAt: endOfDay(expires) } : {}) }),
    gcTime: 0,
    onSuccess: (created) => onCreated(`Created the key ${created.name}.`),
  });
  const revealed = create.data;
  return (
    <ActionDialog
      label="New API key"
      triggerClassName="button button-primary"
      title={revealed ? `Copy the new key ${revealed.name}` : 'New API key'}
      // Shown once: only Done closes it, so a stray click or Escape cannot lose the key.
      dismissable={!revealed}
      onOpenChange={(open) => {
        if (!open) {
          create.reset();
          setName('');
          setRole('consumer');
          setExpires('');
        }
      }}
    >
      {(close) =>
        revealed ? (
          <Reveal created={revealed} onDone={close} />
        ) : (
          <>
            {create.isError && <ErrorNotice error={create.error} title="Could not create the key" />}
            <Form
              onSubmit={(e) => {
                e.preventDefault();
                create.mutate();
              }}
            >
              <TextField className="field" isRequired maxLength={100} value={name} onChange={setName} autoFocus>
                <Label>Name</Label>
                <Input placeholder="e.g. fraud-scoring-service" />
                <Text slot="description" className="muted small">
                  What the key is for; shown in this list and in the audit log.
                </Text>
                <FieldError />
              </TextField>
              <div className="field">
                <label htmlFor="api-key-role">Role</label>
                <select
                  id="api-key-role"
                  className="admin-select"
                  value={role}
                  onChange={(e) => isRole(e.target.value) && setRole(e.target.value)}
                >
                  {ROLES.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </div>
              <TextField className="field" type="date" value={expires} onChange={setExpires}>
                <Label>Expires (optional)</Label>
                <Input min={today()} />
                <Text slot="description" className="muted small">
                  The key stops working at the end of this day (your time). Leave empty for a key that does not expire.
                </Text>
                <FieldError />
              </TextField>
              <FormActions onCancel={close} submit="Create key" pendingLabel="Creating…" pending={create.isPending} />
            </Form>
          </>
        )
      }
    </ActionDialog>
  );
}

/** The only time the key and the client secret are shown. */
function Reveal({ created, onDone }: { created: CreatedApiKeyDto; onDone: () => void }) {
  return (
    <>
      <div className="notice admin-warning">
        <strong>You will not see this key again.</strong>
        <p>
          Copy the key (and the client secret, for OAuth2) now into the service’s secret store. ModelGate keeps only their hashes: if they
          are lost, revoke this key and create another.
        </p>
      </div>
      <SecretField label="API key (send as X-API-Key)" what="the API key" value={created.key} />
      <SecretField label="Client ID" what="the client ID" value={created.clientId} />
      <SecretField label="Client secret" what="the client secret" value={created.clientSecret} />
      <dl className="facts">
        <div>
          <dt>Role</dt>
          <dd>{created.role}</dd>
        </div>
        <div>
          <dt>Expires</dt>
          <dd>{created.expiresAt ? formatDate(created.expiresAt) : 'Never'}</dd>
        </div>
      </dl>
      <div className="actions">
        <Button className="button button-primary" onPress={onDone}>
          Done
        </Button>
      </div>
    </>
  );
}
