import { dataOf, listPromotionRequests, updateModel } from '@modelgate/sdk';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useSession } from '../../session';
import { ConfirmAction } from '../admin/ActionDialog';
import '../admin/admin.css';

/** Whether moves to production wait for an approver; an admin turns it on or off (`PATCH /v1/models/{name}`). */
export function RequireApproval({ model, required }: { model: string; required: boolean }) {
  const { client, can } = useSession();
  const queries = useQueryClient();
  const refresh = () => void queries.invalidateQueries({ queryKey: ['model', model] });
  const set = (requireApproval: boolean) => dataOf(updateModel({ client: client.api, path: { name: model }, body: { requireApproval } }));
  return (
    <div>
      <dt>Promotion approval</dt>
      <dd>
        <span>{required ? 'Required' : 'Not required'}</span>{' '}
        {can('admin') &&
          (required ? (
            <ConfirmAction
              label="Stop requiring"
              labelSuffix={`approval for ${model}`}
              title={`Stop requiring approval for ${model}?`}
              confirmLabel="Stop requiring approval"
              danger
              failure="The setting was not changed"
              action={() => set(false)}
              onDone={refresh}
            >
              <p>An ML engineer’s move to production then takes effect at once, without an approver.</p>
            </ConfirmAction>
          ) : (
            <ConfirmAction
              label="Require"
              labelSuffix={`approval for ${model}`}
              title={`Require approval for ${model}?`}
              confirmLabel="Require approval"
              failure="The setting was not changed"
              action={() => set(true)}
              onDone={refresh}
            >
              <p>
                Every move to production (an admin’s too) then waits for an approver other than the person who asked: an admin or a user
                with the approver flag.
              </p>
            </ConfirmAction>
          ))}
      </dd>
    </div>
  );
}

/** The model's promotions waiting for an approver, for engineers (who may list them). */
export function PendingPromotions({ model }: { model: string }) {
  const { client, can } = useSession();
  const pending = useQuery({
    queryKey: ['promotion-requests', { status: 'pending', model }],
    enabled: can('ml-engineer'),
    queryFn: ({ signal }) => dataOf(listPromotionRequests({ client: client.api, query: { status: 'pending', model, limit: 20 }, signal })),
  });
  const items = pending.data?.items ?? [];
  if (items.length === 0) return null;
  return (
    <div className="notice notice-warning" role="status">
      <strong>Promotion requested — waiting for an approver</strong>
      <ul>
        {items.map((r) => (
          <li key={r.id}>
            v{r.version} to production, requested by {r.requestedBy}
            {r.reason ? `: “${r.reason}”` : ''}
          </li>
        ))}
      </ul>
      <p>
        <Link to="/approvals">Open the approvals</Link>
      </p>
    </div>
  );
}
