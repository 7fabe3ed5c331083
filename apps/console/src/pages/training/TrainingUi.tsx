import type { UploadProgress } from '@modelgate/sdk';
import type { UseMutationResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { Button, Dialog, DialogTrigger, Heading, Label, Modal, ProgressBar } from 'react-aria-components';
import { ErrorNotice } from '../../ui';
import type { JobStatus } from './jobs';
import './training.css';

export function JobStatusBadge({ status }: { status: JobStatus }) {
  return <span className={`badge badge-job-${status}`}>{status}</span>;
}

/** An upload under way: a determinate bar once the SDK reports bytes sent, indeterminate until then. */
export function UploadProgressBar({ label, progress }: { label: string; progress?: UploadProgress }) {
  const known = progress !== undefined && progress.total > 0;
  return (
    <ProgressBar
      className="progress"
      isIndeterminate={!known}
      value={known ? progress.loaded : undefined}
      maxValue={known ? progress.total : undefined}
    >
      {({ percentage, valueText }) => (
        <>
          <div className="progress-label">
            <Label>{label}</Label>
            {known && <span className="muted small">{valueText}</span>}
          </div>
          <div className="progress-track">
            <div
              className={`progress-fill${known ? '' : ' progress-fill-indeterminate'}`}
              style={known ? { width: `${percentage ?? 0}%` } : undefined}
            />
          </div>
        </>
      )}
    </ProgressBar>
  );
}

/** Epochs done of a job, as a progress bar. */
export function EpochProgress({ epoch, epochs, label }: { epoch: number; epochs: number; label?: string }) {
  return (
    <ProgressBar
      className="progress"
      value={epoch}
      minValue={0}
      maxValue={Math.max(epochs, 1)}
      valueLabel={`Epoch ${epoch} of ${epochs}`}
      aria-label={label}
    >
      {({ percentage, valueText }) => (
        <>
          {!label && (
            <div className="progress-label">
              <Label>Progress</Label>
              <span className="small">{valueText}</span>
            </div>
          )}
          <div className="progress-track">
            <div className="progress-fill" style={{ width: `${percentage ?? 0}%` }} />
          </div>
        </>
      )}
    </ProgressBar>
  );
}

/** A destructive action behind a confirmation dialog; the dialog shows the problem if the call fails. */
export function ConfirmAction<TData>({
  label,
  title,
  confirmLabel,
  children,
  mutation,
  onDone,
}: {
  label: string;
  title: string;
  confirmLabel: string;
  children: ReactNode;
  mutation: UseMutationResult<TData, Error, void>;
  onDone?: () => void;
}) {
  return (
    <DialogTrigger onOpenChange={(open) => !open && mutation.reset()}>
      <Button className="button button-danger">{label}</Button>
      <Modal className="modal" isDismissable={!mutation.isPending}>
        <Dialog className="dialog" role="alertdialog">
          {({ close }) => (
            <>
              <Heading slot="title">{title}</Heading>
              {children}
              {mutation.isError && <ErrorNotice error={mutation.error} title={`${label} failed`} />}
              <div className="actions">
                <Button className="button" onPress={close}>
                  Keep it
                </Button>
                <Button
                  className="button button-danger"
                  isDisabled={mutation.isPending}
                  onPress={() =>
                    mutation.mutate(undefined, {
                      onSuccess: () => {
                        close();
                        onDone?.();
                      },
                    })
                  }
                >
                  {mutation.isPending ? 'Working…' : confirmLabel}
                </Button>
              </div>
            </>
          )}
        </Dialog>
      </Modal>
    </DialogTrigger>
  );
}
