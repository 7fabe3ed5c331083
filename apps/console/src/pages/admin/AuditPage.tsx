import { type AuditEventDto, dataOf, listAuditEvents, type ListAuditEventsData } from '@modelgate/sdk';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Button, Form, Input, Label, TextField } from 'react-aria-components';
import { Link } from 'react-router';
import { useSession } from '../../session';
import { Empty, ErrorNotice, Loading } from '../../ui';
import { Pager } from '../../ui';
import { offsetOf, PAGE_SIZE, useUrlFilters, withParams } from './search-params';
import './admin.css';

/** The filters GET /v1/audit-events takes (libs/audit/src/dto), each kept in the URL under its own name. */
const FILTERS = ['action', 'actorId', 'targetType', 'targetId', 'from', 'to'] as const;
type Filter = (typeof FILTERS)[number];
type Filters = Record<Filter, string>;

/** Actions and target types the API records today, offered as suggestions (any other value may be typed). */
const KNOWN_ACTIONS = [
  'auth.login.succeeded',
  'auth.login.failed',
  'auth.logout',
  'auth.token.issued',
  'auth.token.failed',
  'auth.refresh-token.reuse-detected',
  'user.created',
  'user.updated',
  'user.deleted',
  'user.password-changed',
  'user.password-change.failed',
  'api-key.created',
  'api-key.revoked',
  'model.created',
  'model.updated',
  'model.deleted',
  'model-version.created',
  'model-version.transitioned',
  'model-alias.set',
  'model-alias.deleted',
  'model-traffic.set',
  'model-traffic.cleared',
  'dataset.created',
  'dataset.deleted',
  'training-job.created',
  'training-job.cancel-requested',
];
const KNOWN_TARGET_TYPES = ['user', 'api-key', 'model', 'model-version', 'dataset', 'training-job'];

function filtersOf(params: URLSearchParams): Filters {
  return Object.fromEntries(FILTERS.map((f) => [f, params.get(f) ?? ''])) as Filters;
}

/**
 * `from` and `to` are kept in the URL as the person typed them (local date and time) and sent as
 * instants; a value that is not a date goes as it is, for the API to say what is wrong with it.
 */
function instant(local: string): string | undefined {
  if (!local) return undefined;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? local : at.toISOString();
}

export function AuditPage() {
  const { client } = useSession();
  const [params, update] = useUrlFilters();
  const applied = filtersOf(params);
  const offset = offsetOf(params);
  const [draft, setDraft] = useState<Filters>(applied);
  const appliedKey = params.toString();

  // Back/forward and the links in the table change the URL: the form follows it.
  useEffect(() => setDraft(filtersOf(new URLSearchParams(appliedKey))), [appliedKey]);

  const query: ListAuditEventsData['query'] = {
    action: applied.action || undefined,
    actorId: applied.actorId || undefined,
    targetType: applied.targetType || undefined,
    targetId: applied.targetId || undefined,
    from: instant(applied.from),
    to: instant(applied.to),
    limit: PAGE_SIZE,
    offset,
  };
  const events = useQuery({
    queryKey: ['admin', 'audit', query],
    queryFn: ({ signal }) => dataOf(listAuditEvents({ client: client.api, query, signal })),
    placeholderData: keepPreviousData,
  });
  const filtered = FILTERS.some((f) => applied[f]);
  /** A URL with these filters added to the current ones (first page). */
  const narrowed = (changes: Partial<Filters>) => `?${withParams(params, changes)}`;

  return (
    <section className="admin-page" aria-labelledby="page-title">
      <h1 id="page-title">Audit log</h1>
      <p className="muted">Sign-ins, users, keys and changes to models, newest first.</p>

      <Form
        className="admin-filters admin-audit-filters"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          update(Object.fromEntries(FILTERS.map((f) => [f, draft[f].trim()])));
        }}
      >
        <FilterField label="Action" name="action" draft={draft} setDraft={setDraft} list="audit-actions" placeholder="e.g. user.created" />
        <FilterField label="Actor ID (user or API key)" name="actorId" draft={draft} setDraft={setDraft} />
        <FilterField label="Target type" name="targetType" draft={draft} setDraft={setDraft} list="audit-target-types" />
        <FilterField label="Target ID" name="targetId" draft={draft} setDraft={setDraft} />
        <FilterField label="From" name="from" type="datetime-local" draft={draft} setDraft={setDraft} />
        <FilterField label="To (before)" name="to" type="datetime-local" draft={draft} setDraft={setDraft} />
        <datalist id="audit-actions">
          {KNOWN_ACTIONS.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <datalist id="audit-target-types">
          {KNOWN_TARGET_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <div className="actions admin-filter-actions">
          <Button type="submit" className="button button-primary">
            Apply filters
          </Button>
          <Button className="button" isDisabled={!filtered} onPress={() => update(Object.fromEntries(FILTERS.map((f) => [f, undefined])))}>
            Clear filters
          </Button>
        </div>
      </Form>

      {events.isPending ? (
        <Loading label="Loading the audit log" />
      ) : events.isError ? (
        <ErrorNotice error={events.error} title="Could not load the audit log" />
      ) : events.data.items.length === 0 ? (
        <Empty>{filtered ? <p>No event matches these filters.</p> : <p>Nothing has been recorded yet.</p>}</Empty>
      ) : (
        <>
          <p className="muted small" aria-live="polite">
            {events.isPlaceholderData ? 'Updating…' : countText(events.data.page.total, filtered)}
          </p>
          <table
            className={`table admin-table admin-audit${events.isPlaceholderData ? ' admin-stale' : ''}`}
            aria-busy={events.isPlaceholderData}
          >
            <caption className="visually-hidden">Audit events, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.map((e) => (
                <tr key={e.id}>
                  <th scope="row">
                    <time dateTime={e.at}>{new Date(e.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })}</time>
                  </th>
                  <td>
                    <Actor event={e} to={e.actor.id ? narrowed({ actorId: e.actor.id }) : undefined} />
                  </td>
                  <td>
                    <Link to={narrowed({ action: e.action })} title={`Only ${e.action} events`}>
                      <code>{e.action}</code>
                    </Link>
                  </td>
                  <td>
                    {e.target.type ? (
                      <Link
                        to={narrowed({ targetType: e.target.type, targetId: e.target.id ?? undefined })}
                        title="Only events about this target"
                      >
                        {e.target.type}
                        {e.target.id && <span className="admin-break muted small"> {e.target.id}</span>}
                      </Link>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>
                    <Details event={e} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            label="Pages of the audit log"
            offset={offset}
            limit={PAGE_SIZE}
            total={events.data.page.total}
            onOffset={(next) => update({ offset: next ? String(next) : undefined })}
          />
        </>
      )}
    </section>
  );
}

function FilterField({
  label,
  name,
  draft,
  setDraft,
  type = 'text',
  list,
  placeholder,
}: {
  label: string;
  name: Filter;
  draft: Filters;
  setDraft: (update: (d: Filters) => Filters) => void;
  type?: string;
  list?: string;
  placeholder?: string;
}) {
  return (
    <TextField className="field" type={type} value={draft[name]} onChange={(v) => setDraft((d) => ({ ...d, [name]: v }))} name={name}>
      <Label>{label}</Label>
      <Input list={list} placeholder={placeholder} spellCheck={false} />
    </TextField>
  );
}

function Actor({ event: e, to }: { event: AuditEventDto; to?: string }) {
  const who = e.actor.email ?? (e.actor.kind === 'api-key' ? `API key ${e.actor.id?.slice(0, 8)}…` : e.actor.kind);
  return (
    <>
      {to ? (
        <Link to={to} title="Only events by this actor">
          {who}
        </Link>
      ) : (
        who
      )}
      {e.ip && <div className="muted small">{e.ip}</div>}
    </>
  );
}

function Details({ event: e }: { event: AuditEventDto }) {
  const entries = Object.entries(e.details);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <dl className="admin-details">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{detailText(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A change (`{from, to}`, as user.updated records them) reads as "from → to"; anything else as itself. */
function detailText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && !Array.isArray(v) && 'from' in v && 'to' in v && Object.keys(v).length === 2) {
    return `${detailText(v.from)} → ${detailText(v.to)}`;
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(', ');
  return JSON.stringify(v);
}

function countText(total: number, filtered: boolean): string {
  const events = total === 1 ? '1 event' : `${total} events`;
  if (!filtered) return `${events}.`;
  return `${events} ${total === 1 ? 'matches' : 'match'} these filters.`;
}
