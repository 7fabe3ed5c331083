import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { Button, Dialog, DialogTrigger, Form, Heading, Label, Modal, TextArea, TextField } from 'react-aria-components';
import { ErrorNotice, FormActions } from '../../ui';

export interface ActionDialogProps {
  /** The trigger's visible text. */
  label: string;
  /** Read after the label by assistive technology only, to tell one row's button from another's ("of ada@example.com"). */
  labelSuffix?: string;
  triggerClassName?: string;
  title: string;
  /** A destructive confirmation: an alertdialog, not dismissed by a click outside. */
  alert?: boolean;
  /** Whether a click outside or Escape closes it (default: unless `alert`). */
  dismissable?: boolean;
  onOpenChange?: (open: boolean) => void;
  children: (close: () => void) => ReactNode;
}

/** A button that opens a modal dialog; focus moves into it and comes back to the button on close. */
export function ActionDialog({
  label,
  labelSuffix,
  triggerClassName = 'button',
  title,
  alert,
  dismissable = !alert,
  onOpenChange,
  children,
}: ActionDialogProps) {
  return (
    <DialogTrigger onOpenChange={onOpenChange}>
      <Button className={triggerClassName}>
        {label}
        {labelSuffix && <span className="visually-hidden"> {labelSuffix}</span>}
      </Button>
      <Modal className="modal admin-modal" isDismissable={dismissable} isKeyboardDismissDisabled={!dismissable && !alert}>
        <Dialog className="dialog" role={alert ? 'alertdialog' : 'dialog'}>
          {({ close }) => (
            <>
              <Heading slot="title">{title}</Heading>
              {children(close)}
            </>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}

/**
 * An action confirmed first: what it does is said, the person confirms or cancels (Cancel has the
 * focus first, so Enter alone never destroys anything); a refusal shows the problem's detail. With
 * `comment`, a free-text field goes with the confirmation (it has the focus then, and the action
 * receives its text, trimmed).
 */
export function ConfirmAction<T>({
  label,
  labelSuffix,
  title,
  children,
  confirmLabel,
  pendingLabel = 'Working…',
  danger = false,
  alert = danger,
  failure,
  comment,
  action,
  onDone,
}: {
  label: string;
  labelSuffix?: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** The confirm button's text while the action runs. */
  pendingLabel?: string;
  danger?: boolean;
  /** An alertdialog, not dismissed by a click outside (default: when `danger`). */
  alert?: boolean;
  /** The title of the error shown when the API refuses. */
  failure: string;
  /** An optional comment field: its label, and the most characters the API takes. */
  comment?: { label: string; maxLength: number };
  action: (comment: string) => Promise<T>;
  onDone?: (result: T) => void;
}) {
  const [text, setText] = useState('');
  const run = useMutation({ mutationFn: () => action(text.trim()) });
  const confirm = (close: () => void) =>
    run.mutate(undefined, {
      onSuccess: (result) => {
        close();
        onDone?.(result);
      },
    });
  return (
    <ActionDialog
      label={label}
      labelSuffix={labelSuffix}
      triggerClassName={`button admin-small${danger ? ' admin-danger-quiet' : ''}`}
      title={title}
      alert={alert}
      onOpenChange={(open) => {
        if (!open) {
          run.reset();
          setText('');
        }
      }}
    >
      {(close) => (
        <>
          {children}
          {run.isError && <ErrorNotice error={run.error} title={failure} />}
          {comment ? (
            <Form
              onSubmit={(e) => {
                e.preventDefault();
                confirm(close);
              }}
            >
              <TextField className="field" value={text} onChange={setText} maxLength={comment.maxLength} autoFocus>
                <Label>{comment.label}</Label>
                <TextArea rows={3} />
              </TextField>
              <FormActions onCancel={close} submit={confirmLabel} pendingLabel={pendingLabel} pending={run.isPending} danger={danger} />
            </Form>
          ) : (
            <div className="actions">
              <Button className="button" onPress={close} autoFocus>
                Cancel
              </Button>
              <Button
                className={`button ${danger ? 'button-danger' : 'button-primary'}`}
                isDisabled={run.isPending}
                onPress={() => confirm(close)}
              >
                {run.isPending ? pendingLabel : confirmLabel}
              </Button>
            </div>
          )}
        </>
      )}
    </ActionDialog>
  );
}
