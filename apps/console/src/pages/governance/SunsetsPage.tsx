import { dataOf, listSunsets } from '@modelgate/sdk';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useSession } from '../../session';
import { Empty, ErrorNotice, formatDate, Loading, Pager } from '../../ui';
import { offsetOf, PAGE_SIZE, useUrlFilters } from '../admin/search-params';
import { countdown } from '../models/Sunset';
import '../admin/admin.css';
import './governance.css';

/** Deprecated versions across models, soonest sunset first, with who still calls them: whom to warn before the date. */
export function SunsetsPage() {
  const { client } = useSession();
  const [params, update] = useUrlFilters();
  const offset = offsetOf(params);
  const sunsets = useQuery({
    queryKey: ['sunsets', { offset }],
    queryFn: ({ signal }) => dataOf(listSunsets({ client: client.api, query: { limit: PAGE_SIZE, offset }, signal })),
    placeholderData: keepPreviousData,
  });
  const now = new Date();

  return (
    <section className="admin-page" aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title">Sunsets</h1>
      </div>
      <p className="muted">
        Deprecated versions keep serving until their sunset, then retire. Requests and callers are counted over the last seven days.
      </p>
      {sunsets.isPending ? (
        <Loading label="Loading the sunsets" />
      ) : sunsets.isError ? (
        <ErrorNotice error={sunsets.error} title="Could not load the sunsets" />
      ) : sunsets.data.items.length === 0 ? (
        <Empty>
          <p>No version is deprecated: nothing is about to sunset.</p>
        </Empty>
      ) : (
        <>
          <table className={`table admin-table${sunsets.isPlaceholderData ? ' admin-stale' : ''}`} aria-busy={sunsets.isPlaceholderData}>
            <caption className="visually-hidden">Deprecated versions, soonest sunset first</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Sunset</th>
                <th scope="col">Deprecated</th>
                <th scope="col">Successor</th>
                <th scope="col" className="num">
                  Requests (7 days)
                </th>
                <th scope="col" className="num">
                  Callers (7 days)
                </th>
              </tr>
            </thead>
            <tbody>
              {sunsets.data.items.map((s) => (
                <tr key={`${s.model}:${s.version}`}>
                  <th scope="row">
                    <Link to={`/models/${encodeURIComponent(s.model)}?version=${s.version}`}>
                      {s.model} v{s.version}
                    </Link>
                  </th>
                  <td>
                    {s.sunsetAt ? (
                      <>
                        <time dateTime={s.sunsetAt}>{formatDate(s.sunsetAt)}</time>
                        <div className="muted small">{countdown(new Date(s.sunsetAt), now)}</div>
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td>{s.deprecatedAt ? <time dateTime={s.deprecatedAt}>{formatDate(s.deprecatedAt)}</time> : '—'}</td>
                  <td>{s.successorVersion !== null ? `v${s.successorVersion}` : '—'}</td>
                  <td className="num">{s.requestsLast7d.toLocaleString()}</td>
                  <td className="num">{s.callersLast7d.toLocaleString()}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            label="Pages of sunsets"
            offset={offset}
            limit={PAGE_SIZE}
            total={sunsets.data.page.total}
            onOffset={(next) => update({ offset: next ? String(next) : undefined })}
          />
        </>
      )}
    </section>
  );
}
