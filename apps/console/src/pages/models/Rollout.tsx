import {
  dataOf,
  deleteModelAlias,
  getModelTraffic,
  listModelAliases,
  type ModelVersionDto,
  setModelAlias,
  setModelTraffic,
} from '@modelgate/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Form, Input, Label, NumberField, TextField } from 'react-aria-components';
import { useSession } from '../../session';
import { Empty, ErrorNotice, formatDate, Loading, Picker } from '../../ui';

/** Versions a canary or an alias may point at: neither retired nor (for a canary) draft or production. */
const canaryCandidates = (versions: ModelVersionDto[]) => versions.filter((v) => v.stage === 'staging' || v.stage === 'deprecated');

/** Aliases and the canary split of a model (ML engineers and admins change them; everyone may read them). */
export function Rollout({ model, versions }: { model: string; versions: ModelVersionDto[] }) {
  const { can } = useSession();
  return (
    <section className="card rollout" aria-labelledby="rollout-title">
      <h2 id="rollout-title">Rollout</h2>
      <div className="rollout-grid">
        <Canary model={model} versions={versions} editable={can('ml-engineer')} />
        <Aliases model={model} versions={versions} editable={can('ml-engineer')} />
      </div>
    </section>
  );
}

function useRefresh(model: string) {
  const queries = useQueryClient();
  return () =>
    Promise.all([queries.invalidateQueries({ queryKey: ['traffic', model] }), queries.invalidateQueries({ queryKey: ['aliases', model] })]);
}

function Canary({ model, versions, editable }: { model: string; versions: ModelVersionDto[]; editable: boolean }) {
  const { client } = useSession();
  const refresh = useRefresh(model);
  const traffic = useQuery({
    queryKey: ['traffic', model],
    queryFn: ({ signal }) => dataOf(getModelTraffic({ client: client.api, path: { name: model }, signal })),
  });
  const candidates = canaryCandidates(versions);
  const [version, setVersion] = useState<number | null>(null);
  const [percent, setPercent] = useState(10);
  const save = useMutation({
    mutationFn: (canary: { version: number; percent: number } | null) =>
      dataOf(setModelTraffic({ client: client.api, path: { name: model }, body: { canary } })),
    onSuccess: refresh,
  });

  if (traffic.isPending) return <Loading label="Loading the traffic split" />;
  if (traffic.isError) return <ErrorNotice error={traffic.error} title="Could not load the traffic split" />;
  const canary = traffic.data.canary;
  return (
    <div>
      <h3>Canary</h3>
      {canary ? (
        <p>
          <strong>{canary.percent}%</strong> of production requests go to <strong>v{canary.version}</strong>; the rest to the production
          version.
        </p>
      ) : (
        <p className="muted">No canary: every production request goes to the production version.</p>
      )}
      {editable && (
        <>
          {save.isError && <ErrorNotice error={save.error} title="The traffic split was not changed" />}
          {candidates.length === 0 ? (
            !canary && <p className="muted small">A canary needs a version in staging.</p>
          ) : (
            <Form
              className="inline-form"
              onSubmit={(e) => {
                e.preventDefault();
                const v = version ?? candidates[0].version;
                save.mutate({ version: v, percent });
              }}
            >
              <VersionSelect
                label="Canary version"
                versions={candidates}
                selected={version ?? candidates[0].version}
                onChange={setVersion}
              />
              <NumberField className="field narrow" minValue={1} maxValue={99} value={percent} onChange={setPercent}>
                <Label>Share (%)</Label>
                <Input />
              </NumberField>
              <Button type="submit" className="button button-primary" isDisabled={save.isPending}>
                {canary ? 'Change canary' : 'Start canary'}
              </Button>
              {canary && (
                <Button className="button button-danger" isDisabled={save.isPending} onPress={() => save.mutate(null)}>
                  Stop canary
                </Button>
              )}
            </Form>
          )}
        </>
      )}
    </div>
  );
}

function Aliases({ model, versions, editable }: { model: string; versions: ModelVersionDto[]; editable: boolean }) {
  const { client } = useSession();
  const refresh = useRefresh(model);
  const aliases = useQuery({
    queryKey: ['aliases', model],
    queryFn: ({ signal }) => dataOf(listModelAliases({ client: client.api, path: { name: model }, query: { limit: 100 }, signal })),
  });
  const [alias, setAlias] = useState('');
  const [version, setVersion] = useState<number | null>(null);
  const targets = versions.filter((v) => v.stage !== 'retired');
  const put = useMutation({
    mutationFn: (a: { alias: string; version: number }) =>
      dataOf(setModelAlias({ client: client.api, path: { name: model, alias: a.alias }, body: { version: a.version } })),
    onSuccess: async () => {
      setAlias('');
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (a: string) => dataOf(deleteModelAlias({ client: client.api, path: { name: model, alias: a } })),
    onSuccess: refresh,
  });

  return (
    <div>
      <h3>Aliases</h3>
      {aliases.isPending ? (
        <Loading label="Loading the aliases" />
      ) : aliases.isError ? (
        <ErrorNotice error={aliases.error} title="Could not load the aliases" />
      ) : aliases.data.items.length === 0 ? (
        <Empty>
          <p>No alias yet.</p>
        </Empty>
      ) : (
        <table className="table compact">
          <caption className="visually-hidden">Aliases of {model}</caption>
          <thead>
            <tr>
              <th scope="col">Alias</th>
              <th scope="col">Version</th>
              <th scope="col">Set</th>
              {editable && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {aliases.data.items.map((a) => (
              <tr key={a.alias}>
                <th scope="row">
                  <code>{a.alias}</code>
                </th>
                <td>v{a.version}</td>
                <td className="small">{a.derived ? 'follows the stage' : `${a.updatedBy ?? ''} ${formatDate(a.updatedAt)}`}</td>
                {editable && (
                  <td>
                    {!a.derived && (
                      <Button
                        className="button button-quiet small"
                        aria-label={`Remove alias ${a.alias}`}
                        isDisabled={remove.isPending}
                        onPress={() => remove.mutate(a.alias)}
                      >
                        Remove
                      </Button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editable && targets.length > 0 && (
        <>
          {(put.isError || remove.isError) && <ErrorNotice error={put.error ?? remove.error} title="The alias was not changed" />}
          <Form
            className="inline-form"
            onSubmit={(e) => {
              e.preventDefault();
              put.mutate({ alias: alias.trim(), version: version ?? targets[0].version });
            }}
          >
            <TextField className="field" isRequired value={alias} onChange={setAlias}>
              <Label>Alias</Label>
              <Input placeholder="e.g. champion" />
            </TextField>
            <VersionSelect label="Version" versions={targets} selected={version ?? targets[0].version} onChange={setVersion} />
            <Button type="submit" className="button button-primary" isDisabled={put.isPending}>
              Set alias
            </Button>
          </Form>
        </>
      )}
    </div>
  );
}

function VersionSelect(props: { label: string; versions: ModelVersionDto[]; selected: number; onChange: (version: number) => void }) {
  return (
    <Picker
      label={props.label}
      value={String(props.selected)}
      onChange={(key) => key !== null && props.onChange(Number(key))}
      items={props.versions.map((v) => ({ id: String(v.version), label: `v${v.version} (${v.stage})` }))}
    />
  );
}
