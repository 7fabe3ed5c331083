import type { ModelVersionDto } from '@modelgate/sdk';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Button, Form, Input, Label, TextField } from 'react-aria-components';
import { useSession } from '../../session';
import { ErrorNotice, formatDate } from '../../ui';

const WEEK_MS = 7 * 24 * 3600_000;

/** "in 3 days 4 hours", "in 25 minutes", "passed". */
export function countdown(until: Date, now: Date): string {
  const ms = until.getTime() - now.getTime();
  if (ms <= 0) return 'passed';
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const parts =
    days > 0
      ? [`${days} day${days === 1 ? '' : 's'}`, ...(hours ? [`${hours} hour${hours === 1 ? '' : 's'}`] : [])]
      : hours > 0
        ? [`${hours} hour${hours === 1 ? '' : 's'}`, `${minutes % 60} min`]
        : [`${Math.max(1, minutes)} min`];
  return `in ${parts.join(' ')}`;
}

function useNow(everyMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

/** A local datetime-local value ("2026-12-24T09:30") for an ISO instant. */
function localInput(iso: string): string {
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A deprecated version's sunset: when, how long until, the traffic still reaching it, and (for engineers) moving the date. */
export function Sunset({ version: v }: { version: ModelVersionDto }) {
  const { client, can } = useSession();
  const queries = useQueryClient();
  const now = useNow(30_000);
  const key = `${v.model}:${v.version}`;
  // Usage is for admins only: nobody else is sent the request.
  const traffic = useQuery({
    queryKey: ['usage', 'version-week', v.model],
    enabled: can('admin'),
    queryFn: ({ signal }) =>
      client.usage({ groupBy: 'version', from: new Date(Date.now() - WEEK_MS).toISOString(), to: new Date().toISOString() }, { signal }),
  });
  const [date, setDate] = useState(() => (v.sunsetAt ? localInput(v.sunsetAt) : ''));
  const move = useMutation({
    mutationFn: () => client.versions.update(v.model, v.version, { sunsetAt: new Date(date).toISOString() }),
    onSuccess: () => Promise.all([queries.invalidateQueries({ queryKey: ['versions', v.model] })]),
  });
  if (!v.sunsetAt) return null;
  const row = traffic.data?.items.find((i) => i.key === key);

  return (
    <section className="sunset notice" aria-labelledby="sunset-title">
      <h3 id="sunset-title">Sunset</h3>
      <p>
        Retires on <strong>{formatDate(v.sunsetAt)}</strong> (<span className="countdown">{countdown(new Date(v.sunsetAt), now)}</span>)
        {v.successorVersion !== null && <> · callers should move to v{v.successorVersion}</>}.
      </p>
      {can('admin') &&
        (traffic.isError ? (
          <ErrorNotice error={traffic.error} title="Could not load the traffic" />
        ) : traffic.data ? (
          <p aria-label="Traffic still reaching this version">
            Last 7 days: <strong>{row?.requests ?? 0}</strong> request{row?.requests === 1 ? '' : 's'}
            {row && row.errors > 0 && <>, {row.errors} failed</>}.
          </p>
        ) : null)}
      {can('ml-engineer') && (
        <Form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            move.mutate();
          }}
        >
          <TextField className="field" isRequired value={date} onChange={setDate}>
            <Label>New sunset date</Label>
            <Input type="datetime-local" />
          </TextField>
          <Button type="submit" className="button" isDisabled={move.isPending || !date}>
            Move the sunset
          </Button>
        </Form>
      )}
      {move.isError && <ErrorNotice error={move.error} title="The sunset date was not moved" />}
    </section>
  );
}
