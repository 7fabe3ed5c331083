import { useMutation } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Button, Dialog, DialogTrigger, Heading, Modal } from 'react-aria-components';
import { ErrorNotice } from '../../ui';

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
 * focus first, so Enter alone never destroys anything); a refusal shows the problem's detail.
 */
export function ConfirmAction({
  label,
  labelSuffix,
  title,
  children,
  confirmLabel,
  danger = false,
  failure,
  action,
  onDone,
}: {
  label: string;
  labelSuffix?: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  /** The title of the error shown when the API refuses. */
  failure: string;
  action: () => Promise<unknown>;
  onDone?: () => void;
}) {
  const run = useMutation({ mutationFn: action });
  return (
    <ActionDialog
      label={label}
      labelSuffix={labelSuffix}
      triggerClassName={`button admin-small${danger ? ' admin-danger-quiet' : ''}`}
      title={title}
      alert={danger}
      onOpenChange={(open) => !open && run.reset()}
    >
      {(close) => (
        <>
          {children}
          {run.isError && <ErrorNotice error={run.error} title={failure} />}
          <div className="actions">
            <Button className="button" onPress={close} autoFocus>
              Cancel
            </Button>
            <Button
              className={`button ${danger ? 'button-danger' : 'button-primary'}`}
              isDisabled={run.isPending}
              onPress={() =>
                run.mutate(undefined, {
                  onSuccess: () => {
                    close();
                    onDone?.();
                  },
                })
              }
            >
              {run.isPending ? 'Working…' : confirmLabel}
            </Button>
          </div>
        </>
      )}
    </ActionDialog>
  );
}
