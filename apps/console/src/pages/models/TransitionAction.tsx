import type { ModelVersionDto, TransitionVersionDto } from '@modelgate/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import {
  Button,
  Checkbox,
  Dialog,
  DialogTrigger,
  FieldError,
  Form,
  Heading,
  Label,
  Modal,
  TextArea,
  TextField,
} from 'react-aria-components';
import { Link } from 'react-router';
import { useSession } from '../../session';
import { ErrorNotice } from '../../ui';
import { isPromotionRequest } from '../governance/governance-api';
import { SignatureChanges } from './SignatureChanges';

type Stage = ModelVersionDto['stage'];

/** A stage move with a reason and a confirmation. */
export function TransitionAction(props: {
  model: string;
  version: number;
  action: { to: Stage; label: string };
  /** Differences from production's signature that this move would put in front of production's callers. */
  signatureChanges?: ModelVersionDto['signatureChanges'];
  /** The model's moves to production wait for an approver (the API answers 202 with a request). */
  requireApproval?: boolean;
}) {
  const { model, version, action } = props;
  const changes = props.signatureChanges ?? [];
  const { client, can } = useSession();
  const queries = useQueryClient();
  const [reason, setReason] = useState('');
  const [force, setForce] = useState(false);
  const move = useMutation({
    mutationFn: () => {
      const body: TransitionVersionDto = {
        to: action.to,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
        ...(force ? { force: true } : {}),
      };
      return client.versions.transition(model, version, body);
    },
    onSuccess: async () => {
      await Promise.all([
        queries.invalidateQueries({ queryKey: ['promotion-requests'] }),
        queries.invalidateQueries({ queryKey: ['versions', model] }),
        queries.invalidateQueries({ queryKey: ['model', model] }),
        queries.invalidateQueries({ queryKey: ['transitions', model] }),
        queries.invalidateQueries({ queryKey: ['models'] }),
      ]);
    },
  });
  const destructive = action.to === 'retired' || action.to === 'deprecated';
  // A 202: the version did not move; a promotion request waits for an approver instead.
  const requested = isPromotionRequest(move.data) ? move.data : undefined;
  return (
    <DialogTrigger
      onOpenChange={(open) => {
        if (!open) {
          move.reset();
          setReason('');
          setForce(false);
        }
      }}
    >
      <Button className={`button ${destructive ? 'button-danger' : 'button-primary'}`}>{action.label}</Button>
      <Modal className="modal" isDismissable>
        <Dialog className="dialog" role="alertdialog">
          {({ close }) =>
            requested ? (
              <>
                <Heading slot="title">Promotion requested — waiting for an approver</Heading>
                <div className="notice" role="status">
                  <p>
                    {model} v{version} stays in its stage until an approver (an admin, or a user with the approver flag, other than you)
                    approves the request. It is listed on the{' '}
                    <Link to="/approvals" onClick={close}>
                      approvals page
                    </Link>
                    .
                  </p>
                </div>
                <div className="actions">
                  <Button className="button button-primary" onPress={close} autoFocus>
                    Close
                  </Button>
                </div>
              </>
            ) : (
              <>
                <Heading slot="title">
                  {action.label}: {model} v{version}?
                </Heading>
                <p>
                  {action.to === 'production' && props.requireApproval
                    ? 'This model requires an approval: the move waits for an approver, then it serves every request to this model and the current production version, if any, is deprecated.'
                    : action.to === 'production'
                      ? 'It will serve every request to this model; the current production version, if any, is deprecated.'
                      : action.to === 'retired'
                        ? 'A retired version can no longer serve predictions. This cannot be undone.'
                        : action.to === 'deprecated'
                          ? 'It keeps serving until its sunset date, then retires.'
                          : `It moves to ${action.to}.`}
                </p>
                {changes.length > 0 && (
                  <>
                    <SignatureChanges changes={changes} />
                    {can('admin') ? (
                      <Checkbox className="checkbox" isSelected={force} onChange={setForce}>
                        Promote anyway: production’s callers must change with it (recorded in the audit log)
                      </Checkbox>
                    ) : (
                      <p className="muted small">Only an admin can promote it over these differences.</p>
                    )}
                  </>
                )}
                {move.isError && <ErrorNotice error={move.error} title="The version was not moved" />}
                <Form
                  onSubmit={(e) => {
                    e.preventDefault();
                    // A request (202) keeps the dialog open to say so; a move closes it.
                    move.mutate(undefined, { onSuccess: (answer) => !isPromotionRequest(answer) && close() });
                  }}
                >
                  <TextField className="field" isRequired value={reason} onChange={setReason} autoFocus>
                    <Label>Reason (kept in the history)</Label>
                    <TextArea rows={3} />
                    <FieldError />
                  </TextField>
                  <div className="actions">
                    <Button className="button" onPress={close}>
                      Cancel
                    </Button>
                    <Button
                      type="submit"
                      className={`button ${destructive ? 'button-danger' : 'button-primary'}`}
                      isDisabled={move.isPending}
                    >
                      {move.isPending ? 'Working…' : `Confirm: ${action.label.toLowerCase()}`}
                    </Button>
                  </div>
                </Form>
              </>
            )
          }
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
