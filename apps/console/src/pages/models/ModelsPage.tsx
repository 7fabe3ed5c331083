import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import {
  Button,
  Dialog,
  DialogTrigger,
  FieldError,
  Form,
  Heading,
  Input,
  Label,
  Modal,
  SearchField,
  TextArea,
  TextField,
} from 'react-aria-components';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useSession } from '../../session';
import { Empty, ErrorNotice, Loading, FormActions, Pager } from '../../ui';

const PAGE_SIZE = 20;
const DAY_MS = 24 * 3600_000;

export function ModelsPage() {
  const { client, can } = useSession();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const [search, setSearch] = useState(q);

  // Search as the person types, a moment after they stop.
  useEffect(() => {
    if (search === q) return;
    const timer = setTimeout(() => setParams(search ? { q: search } : {}, { replace: true }), 250);
    return () => clearTimeout(timer);
  }, [search, q, setParams]);

  const models = useQuery({
    queryKey: ['models', { q, offset }],
    queryFn: ({ signal }) => client.models.list({ q: q || undefined, limit: PAGE_SIZE, offset }, { signal }),
    placeholderData: keepPreviousData,
  });

  // Requests per model over the last day, for the roles that may read usage (admins); nobody else is sent the call.
  const usage = useQuery({
    queryKey: ['usage', 'models-day'],
    enabled: can('admin'),
    queryFn: ({ signal }) =>
      client.usage({ groupBy: 'model', from: new Date(Date.now() - DAY_MS).toISOString(), to: new Date().toISOString() }, { signal }),
  });
  const requests = new Map(usage.data?.items.map((i) => [i.key, i.requests]));

  const page = models.data?.page;
  const goTo = (next: number) => setParams({ ...(q ? { q } : {}), ...(next ? { offset: String(next) } : {}) });

  return (
    <section aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title">Models</h1>
        {can('ml-engineer') && <CreateModel />}
      </div>
      <SearchField className="field search" value={search} onChange={setSearch} aria-label="Search models">
        <Label>Search by name or description</Label>
        <Input placeholder="e.g. iris" />
      </SearchField>

      {models.isPending ? (
        <Loading label="Loading models" />
      ) : models.isError ? (
        <ErrorNotice error={models.error} title="Could not load the models" />
      ) : models.data.items.length === 0 ? (
        <Empty>{q ? <p>No model matches “{q}”.</p> : <p>No model is registered yet.</p>}</Empty>
      ) : (
        <>
          <table className="table">
            <caption className="visually-hidden">Registered models</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Task</th>
                <th scope="col">Tags</th>
                <th scope="col">Production</th>
                <th scope="col">Latest</th>
                {can('admin') && (
                  <th scope="col" className="num">
                    Requests (24 h)
                  </th>
                )}
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {models.data.items.map((m) => (
                <tr key={m.id}>
                  <th scope="row">
                    <Link to={`/models/${encodeURIComponent(m.name)}`}>{m.name}</Link>
                    {m.description && <div className="muted small">{m.description}</div>}
                  </th>
                  <td>{m.task ?? '—'}</td>
                  <td>
                    {m.tags.length ? (
                      <ul className="tags" aria-label={`Tags of ${m.name}`}>
                        {m.tags.map((t) => (
                          <li key={t} className="tag">
                            {t}
                          </li>
                        ))}
                      </ul>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{m.productionVersion !== null ? `v${m.productionVersion}` : '—'}</td>
                  <td>{m.latestVersion !== null ? `v${m.latestVersion}` : '—'}</td>
                  {can('admin') && <td className="num">{usage.data ? (requests.get(m.name) ?? 0).toLocaleString() : '…'}</td>}
                  <td>{new Date(m.updatedAt).toLocaleDateString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page && <Pager label="Pages of models" offset={offset} limit={PAGE_SIZE} total={page.total} onOffset={goTo} />}
        </>
      )}
    </section>
  );
}

function CreateModel() {
  const { client } = useSession();
  const queries = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [task, setTask] = useState('');
  const [tags, setTags] = useState('');
  const [description, setDescription] = useState('');
  const create = useMutation({
    mutationFn: () =>
      client.models.create({
        name: name.trim(),
        ...(task.trim() ? { task: task.trim() } : {}),
        ...(description.trim() ? { description: description.trim() } : {}),
        tags: tags
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      }),
    onSuccess: async (model) => {
      await queries.invalidateQueries({ queryKey: ['models'] });
      navigate(`/models/${encodeURIComponent(model.name)}`);
    },
  });

  return (
    <DialogTrigger onOpenChange={(open) => !open && create.reset()}>
      <Button className="button button-primary">New model</Button>
      <Modal className="modal" isDismissable>
        <Dialog className="dialog">
          {({ close }) => (
            <>
              <Heading slot="title">New model</Heading>
              {create.isError && <ErrorNotice error={create.error} title="Could not create the model" />}
              <Form
                onSubmit={(e) => {
                  e.preventDefault();
                  create.mutate();
                }}
              >
                <TextField className="field" isRequired value={name} onChange={setName} autoFocus>
                  <Label>Name</Label>
                  <Input placeholder="e.g. churn-classifier" />
                  <FieldError />
                </TextField>
                <TextField className="field" value={task} onChange={setTask}>
                  <Label>Task</Label>
                  <Input placeholder="e.g. classification" />
                </TextField>
                <TextField className="field" value={tags} onChange={setTags}>
                  <Label>Tags (comma-separated)</Label>
                  <Input />
                </TextField>
                <TextField className="field" value={description} onChange={setDescription}>
                  <Label>Description</Label>
                  <TextArea rows={3} />
                </TextField>
                <FormActions onCancel={close} submit="Create model" pendingLabel="Creating…" pending={create.isPending} />
              </Form>
            </>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
