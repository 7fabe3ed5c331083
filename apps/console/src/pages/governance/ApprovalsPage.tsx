import { approvePromotionRequest, dataOf, listPromotionRequests, type PromotionRequestDto, rejectPromotionRequest } from '@modelgate/sdk';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../session';
import { Empty, ErrorNotice, formatDate, Loading, Pager } from '../../ui';
import { ConfirmAction } from '../admin/ActionDialog';
import { offsetOf, PAGE_SIZE, useUrlFilters } from '../admin/search-params';
import { isRequestStatus, REQUEST_STATUSES } from './governance-api';
import '../admin/admin.css';
import './governance.css';

/** Promotion requests waiting for (or given) an approver's decision; pending ones first by default. */
export function ApprovalsPage() {
  const { client } = useSession();
  const queries = useQueryClient();
  const [params, update] = useUrlFilters();
  const statusParam = params.get('status');
  const status = isRequestStatus(statusParam) ? statusParam : 'pending';
  const offset = offsetOf(params);
  const [said, say] = useState('');

  const requests = useQuery({
    queryKey: ['promotion-requests', { status, offset }],
    queryFn: ({ signal }) => dataOf(listPromotionRequests({ client: client.api, query: { status, limit: PAGE_SIZE, offset }, signal })),
    placeholderData: keepPreviousData,
  });

  /** A decision changes the requests, and (approved) the model's versions. */
  const decided = (r: PromotionRequestDto) => {
    say(
      r.status === 'approved'
        ? `Approved: ${r.model} v${r.version} is now in production.`
        : `Rejected the promotion of ${r.model} v${r.version}.`,
    );
    void Promise.all([
      queries.invalidateQueries({ queryKey: ['promotion-requests'] }),
      queries.invalidateQueries({ queryKey: ['model', r.model] }),
      queries.invalidateQueries({ queryKey: ['versions', r.model] }),
      queries.invalidateQueries({ queryKey: ['transitions', r.model] }),
      queries.invalidateQueries({ queryKey: ['models'] }),
      queries.invalidateQueries({ queryKey: ['sunsets'] }),
    ]);
  };

  return (
    <section className="admin-page" aria-labelledby="page-title">
      <div className="page-head">
        <h1 id="page-title">Approvals</h1>
      </div>
      <p className="muted">
        Moves to production on models that require an approval wait here. Admins and users with the approver flag decide them; nobody
        decides their own request.
      </p>
      <p className="admin-said" role="status">
        {said}
      </p>
      <div className="admin-filters">
        <div className="field">
          <label htmlFor="approvals-status">Status</label>
          <select
            id="approvals-status"
            className="admin-select"
            value={status}
            onChange={(e) => update({ status: e.target.value === 'pending' ? undefined : e.target.value })}
          >
            {REQUEST_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>

      {requests.isPending ? (
        <Loading label="Loading the promotion requests" />
      ) : requests.isError ? (
        <ErrorNotice error={requests.error} title="Could not load the promotion requests" />
      ) : requests.data.items.length === 0 ? (
        <Empty>
          <p>{status === 'pending' ? 'No promotion is waiting for an approver.' : `No promotion request is ${status}.`}</p>
        </Empty>
      ) : (
        <>
          <table className={`table admin-table${requests.isPlaceholderData ? ' admin-stale' : ''}`} aria-busy={requests.isPlaceholderData}>
            <caption className="visually-hidden">Promotion requests ({status})</caption>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Requested</th>
                <th scope="col">Reason</th>
                <th scope="col">Decision</th>
                {status === 'pending' && (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {requests.data.items.map((r) => (
                <tr key={r.id}>
                  <th scope="row">
                    <Link to={`/models/${encodeURIComponent(r.model)}?version=${r.version}`}>
                      {r.model} v{r.version}
                    </Link>
                  </th>
                  <td>
                    <span className={`badge gov-status gov-${r.status}`}>{r.status}</span>
                  </td>
                  <td>
                    {r.requestedBy}
                    <div className="muted small">
                      <time dateTime={r.createdAt}>{formatDate(r.createdAt)}</time>
                    </div>
                  </td>
                  <td>{r.reason ?? <span className="muted">—</span>}</td>
                  <td>
                    {r.decidedBy ? (
                      <>
                        {r.decidedBy}
                        <div className="muted small">{r.decidedAt && <time dateTime={r.decidedAt}>{formatDate(r.decidedAt)}</time>}</div>
                        {r.comment && <blockquote className="reason">{r.comment}</blockquote>}
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  {status === 'pending' && (
                    <td>
                      <div className="admin-row-actions" role="group" aria-label={`Decide ${r.model} v${r.version}`}>
                        {r.status === 'pending' && (
                          <>
                            <Decide request={r} decision="approve" onDone={decided} />
                            <Decide request={r} decision="reject" onDone={decided} />
                          </>
                        )}
                      </div>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            label="Pages of promotion requests"
            offset={offset}
            limit={PAGE_SIZE}
            total={requests.data.page.total}
            onOffset={(next) => update({ offset: next ? String(next) : undefined })}
          />
        </>
      )}
    </section>
  );
}

/**
 * Approve or reject, with an optional comment; a refusal (not an approver, your own request, decided
 * meanwhile) shows its detail. A rejection is a plain dialog, not an alert: the requester may ask again.
 */
function Decide({
  request: r,
  decision,
  onDone,
}: {
  request: PromotionRequestDto;
  decision: 'approve' | 'reject';
  onDone: (r: PromotionRequestDto) => void;
}) {
  const { client } = useSession();
  const approve = decision === 'approve';
  const subject = `${r.model} v${r.version}`;
  return (
    <ConfirmAction
      label={approve ? 'Approve' : 'Reject'}
      labelSuffix={subject}
      title={approve ? `Approve the promotion of ${subject}?` : `Reject the promotion of ${subject}?`}
      confirmLabel={approve ? 'Approve promotion' : 'Reject promotion'}
      pendingLabel={approve ? 'Approving…' : 'Rejecting…'}
      danger={!approve}
      alert={false}
      failure={approve ? 'The promotion was not approved' : 'The promotion was not rejected'}
      comment={{ label: 'Comment (optional, kept with the decision)', maxLength: 1000 }}
      action={(comment) => {
        const options = { client: client.api, path: { id: r.id }, body: comment ? { comment } : {} };
        return dataOf(approve ? approvePromotionRequest(options) : rejectPromotionRequest(options));
      }}
      onDone={onDone}
    >
      <p>
        {approve
          ? `${subject} moves to production at once and serves every request to ${r.model}; the current production version, if any, is deprecated.`
          : `${subject} stays where it is; ${r.requestedBy} may ask again.`}
      </p>
      {r.reason && (
        <p>
          <span className="muted">Reason given by {r.requestedBy}: </span>
          {r.reason}
        </p>
      )}
    </ConfirmAction>
  );
}
