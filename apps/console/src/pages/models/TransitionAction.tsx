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
import { useSession } from '../../session';
import { ErrorNotice } from '../../ui';
import { SignatureChanges } from './SignatureChanges';

type Stage = ModelVersionDto['stage'];

/** A stage move with a reason and a confirmation. */
export function TransitionAction(props: {
  model: string;
  version: number;
  action: { to: Stage; label: string };
  /** Differences from production's signature that this move would put in front of production's callers. */
  signatureChanges?: ModelVersionDto['signatureChanges'];
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
        queries.invalidateQueries({ queryKey: ['versions', model] }),
        queries.invalidateQueries({ queryKey: ['model', model] }),
        queries.invalidateQueries({ queryKey: ['transitions', model] }),
        queries.invalidateQueries({ queryKey: ['models'] }),
      ]);
    },
  });
  const destructive = action.to === 'retired' || action.to === 'deprecated';
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
          {({ close }) => (
            <>
              <Heading slot="title">
                {action.label}: {model} v{version}?
              </Heading>
              <p>
                {action.to === 'production'
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
                  move.mutate(undefined, { onSuccess: close });
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
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
