import type { ModelVersionDto, TransitionVersionDto } from '@modelgate/sdk';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Button, Dialog, DialogTrigger, FieldError, Form, Heading, Label, Modal, TextArea, TextField } from 'react-aria-components';
import { useSession } from '../../session';
import { ErrorNotice } from '../../ui';

type Stage = ModelVersionDto['stage'];

/** A stage move with a reason and a confirmation. */
export function TransitionAction({ model, version, action }: { model: string; version: number; action: { to: Stage; label: string } }) {
  const { client } = useSession();
  const queries = useQueryClient();
  const [reason, setReason] = useState('');
  const move = useMutation({
    mutationFn: () => {
      const body: TransitionVersionDto = { to: action.to, ...(reason.trim() ? { reason: reason.trim() } : {}) };
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
